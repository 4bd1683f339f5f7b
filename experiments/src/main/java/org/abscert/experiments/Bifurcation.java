package org.abscert.experiments;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import org.abscert.certifier.Candidate;
import org.abscert.certifier.Certifier;
import org.abscert.certifier.Result;
import org.abscert.certifier.Verdict;
import org.abscert.certifier.anf.AbsNormalForm;
import org.abscert.certifier.probe.KinkRuleProbe;
import org.abscert.certifier.probe.KinkRules;
import org.abscert.experiments.BifurcationReport.DifferingBatch;
import org.abscert.experiments.BifurcationReport.Row;
import org.abscert.spi.Backend;
import org.abscert.spi.BackendException;
import org.abscert.spi.Evaluation;
import org.abscert.spi.Precision;
import org.abscert.spi.SwitchTrace;
import org.abscert.spi.data.Dataset;
import org.abscert.spi.ir.Mlp;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.ProcedureBuilder;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.ir.Tensor;

/**
 * The published bifurcation experiment ({@link PublishedKinkFigures}): does a backpropagated gradient change
 * when relu′(0) changes from 0 to 1?
 *
 * <p>Protocol, per network, backend, precision and initialisation: PyTorch's default initialisation (weights
 * and biases uniform in ±1/√fan_in, drawn in float32 from a seeded generator, then rounded to the
 * precision); a seeded shuffle of the training examples into mini-batches (a last partial batch is dropped);
 * one epoch at learning rate 0, so every mini-batch is evaluated at the initial parameters. For each
 * mini-batch the backend computes the gradient with its own relu′(0)=0; when no ReLU argument was exactly 0
 * the relu′(0)=1 backward is skipped, because the two backward passes are then the same operations on the
 * same numbers. Otherwise the relu′(0)=1 gradient is computed and the first-layer weight gradients are
 * compared entry by entry (numerically: −0 equals 0).
 *
 * <p>relu′(0)=1 comes from a configured variant of the backend when the caller has one (the tape), otherwise
 * from the exact reformulation relu(x) = x + relu(−x): the values agree bit for bit (x + 0 = x and
 * x + (−x) = +0), and under the backend's relu′(0)=0 its derivative at 0 is 1 − 0 = 1, in every precision.
 *
 * <p>A differing mini-batch is handed to the certifier with both gradients (up to {@link Config#certifyLimit()}
 * per row): its verdict on each, and how many of the zeros the exact evaluation at the same rounded point
 * confirms (the others are rounding artefacts, THEORY.md §8).
 */
public final class Bifurcation {

    /** One network of the published table: hidden layers × width, and the mini-batch size. */
    public record Network(int depth, int width, int batch) {
        public Network {
            if (depth <= 0 || width <= 0 || batch <= 0)
                throw new IllegalArgumentException("depth, width and batch must be positive: " + depth + ", " + width + ", " + batch);
        }

        public String label() { return depth + "×" + width; }

        /** The published main configuration: 3 hidden layers of 256, batch 100. */
        public static final Network MAIN = new Network(3, 256, 100);

        /** The published sweeps over depth, width and batch size (the main configuration once). */
        public static List<Network> sweeps() {
            List<Network> all = new ArrayList<>();
            all.add(MAIN);
            for (int d : new int[] {1, 2, 5, 6}) all.add(new Network(d, 256, 100));
            for (int w : new int[] {16, 64, 512, 1024}) all.add(new Network(3, w, 100));
            for (int b : new int[] {16, 64, 256, 512, 1024}) all.add(new Network(3, 256, b));
            return List.copyOf(all);
        }
    }

    /**
     * What to run.
     *
     * @param dataset      data set name for the report
     * @param data         the training examples of one epoch
     * @param networks     networks to measure
     * @param inits        initialisations per network, backend and precision
     * @param seed         seed of initialisations and batch orders
     * @param precisions   precisions to run (each backend runs those it offers)
     * @param certifyLimit differing mini-batches the certifier judges per row, at most
     * @param sweep        marks the sweep run in the report
     */
    public record Config(String dataset, Dataset data, List<Network> networks, int inits, long seed,
                         List<Precision> precisions, int certifyLimit, boolean sweep) {
        public Config {
            Objects.requireNonNull(dataset);
            Objects.requireNonNull(data);
            networks = List.copyOf(networks);
            precisions = List.copyOf(precisions);
            if (inits <= 0) throw new IllegalArgumentException("inits must be positive, got " + inits);
            if (certifyLimit < 0) throw new IllegalArgumentException("certifyLimit must be ≥ 0");
            for (Network n : networks)
                if (n.batch() > data.size())
                    throw new IllegalArgumentException("batch " + n.batch() + " exceeds the " + data.size() + " examples");
        }
    }

    /**
     * A backend under test, with its configured relu′(0)=1 variant when it has one (empty: the reformulation
     * is used).
     */
    public record Subject(Backend backend, Optional<Backend> configuredRelu1) {
        public Subject {
            Objects.requireNonNull(backend);
            Objects.requireNonNull(configuredRelu1);
        }
    }

    private final Config config;
    private final List<Subject> subjects;
    private final Certifier certifier;
    private final Map<String, KinkRules> knownRules;
    private final Map<Network, Procedure[]> procedures = new HashMap<>();
    private java.util.function.BiFunction<Network, Integer, double[]> initialisation = this::initialParameters;
    private Runner runner;

    /**
     * @param knownRules probed kink rules by {@code backend/precision} (those missing are probed here)
     */
    public Bifurcation(Config config, List<Subject> subjects, Certifier certifier, Map<String, KinkRules> knownRules) {
        this.config = Objects.requireNonNull(config);
        this.subjects = List.copyOf(subjects);
        this.certifier = Objects.requireNonNull(certifier);
        this.knownRules = new HashMap<>(knownRules);
    }

    public Config config() { return config; }

    /** Replaces the initialisation (tests place kinks on purpose). */
    Bifurcation withInitialisation(java.util.function.BiFunction<Network, Integer, double[]> init) {
        this.initialisation = Objects.requireNonNull(init);
        return this;
    }

    private List<Precision> precisionsOf(Backend b) {
        return config.precisions().stream().filter(b.precisions()::contains).toList();
    }

    /** Mini-batches per epoch for a network. */
    int batchesPerEpoch(Network n) { return config.data().size() / n.batch(); }

    /** Work units of {@link #run}: one per mini-batch evaluated. */
    public long units() {
        long u = 0;
        for (Network n : config.networks())
            for (Subject s : subjects) u += (long) precisionsOf(s.backend()).size() * config.inits() * batchesPerEpoch(n);
        return u;
    }

    /** The relu′(0)=0 procedure (the {@code mlp} shorthand) of a network. */
    public Procedure ruleZero(Network n) { return procedures(n)[0]; }

    /** The same network with every ReLU written as x + relu(−x); the same parameters and data. */
    public Procedure reformulated(Network n) { return procedures(n)[1]; }

    private Procedure[] procedures(Network n) {
        return procedures.computeIfAbsent(n, k -> {
            Dataset d = config.data();
            List<Mlp.Layer> layers = new ArrayList<>();
            for (int l = 0; l < k.depth(); l++) layers.add(new Mlp.Layer(k.width(), "relu"));
            layers.add(new Mlp.Layer(d.classes(), "identity"));
            String name = "bifurcation-" + k.label().replace('×', 'x') + "-b" + k.batch();
            Procedure zero = new Mlp(d.featureCount(), layers, true, "softmax_cross_entropy", k.batch()).expand(name);
            ProcedureBuilder b = ProcedureBuilder.named(name + "-reformulated");
            int in = d.featureCount();
            String h = "X";
            List<String[]> params = new ArrayList<>();
            for (int l = 1; l <= k.depth() + 1; l++) {
                int out = l <= k.depth() ? k.width() : d.classes();
                params.add(new String[] {b.parameter("W" + l, in, out), b.parameter("b" + l, out)});
                in = out;
            }
            b.data("X", k.batch(), d.featureCount());
            b.data("Y", k.batch(), d.classes());
            for (int l = 1; l <= k.depth() + 1; l++) {
                String z = b.add(b.matmul(h, params.get(l - 1)[0]), params.get(l - 1)[1]);
                // relu(z) = z + relu(−z): equal values in every precision, derivative 1 at 0 under relu′(0)=0
                h = l <= k.depth() ? b.add(z, b.relu(b.neg(z))) : z;
            }
            Procedure one = b.build(b.softmaxCrossEntropy(h, "Y"));
            return new Procedure[] {zero, one};
        });
    }

    /**
     * PyTorch's default initialisation of {@code nn.Linear} (kaiming_uniform with a = √5 for weights, which
     * is uniform in ±1/√fan_in, and the same bound for biases), drawn as float32 values, in our layout
     * (W_l of shape [in, out]).
     */
    public double[] initialParameters(Network n, int init) {
        int in = config.data().featureCount(), classes = config.data().classes();
        Random rng = new Random(mix(config.seed(), 2L * init));
        int size = 0, prev = in;
        for (int l = 1; l <= n.depth() + 1; l++) {
            int out = l <= n.depth() ? n.width() : classes;
            size += prev * out + out;
            prev = out;
        }
        double[] theta = new double[size];
        int off = 0;
        prev = in;
        for (int l = 1; l <= n.depth() + 1; l++) {
            int out = l <= n.depth() ? n.width() : classes;
            double bound = 1 / Math.sqrt(prev);
            for (int k = 0; k < prev * out + out; k++) theta[off++] = (float) ((2 * rng.nextDouble() - 1) * bound);
            prev = out;
        }
        return theta;
    }

    /** The epoch's mini-batches for an initialisation: a seeded shuffle cut into full batches. */
    public int[][] batches(Network n, int init) {
        int size = config.data().size();
        int[] order = new int[size];
        for (int i = 0; i < size; i++) order[i] = i;
        Random rng = new Random(mix(config.seed(), 2L * init + 1));
        for (int i = size - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i]; order[i] = order[j]; order[j] = t;
        }
        int[][] out = new int[size / n.batch()][];
        for (int s = 0; s < out.length; s++)
            out[s] = java.util.Arrays.copyOfRange(order, s * n.batch(), (s + 1) * n.batch());
        return out;
    }

    /** The point of one mini-batch at the given parameters. */
    public Point point(Procedure p, Map<String, Tensor> parameters, int[] rows) {
        Dataset d = config.data();
        Map<String, Tensor> data = new LinkedHashMap<>();
        data.put("X", new Tensor(Shape.of(rows.length, d.featureCount()), d.batchFeatures(rows)));
        data.put("Y", new Tensor(Shape.of(rows.length, d.classes()), d.batchOneHot(rows)));
        return new Point(parameters, data);
    }

    /** Runs every network on every subject and precision. */
    public BifurcationReport run(Progress progress) { return run(progress, Map.of()); }

    /**
     * The same, reusing kink rules already probed (by {@code backend/precision}; a null value: the probe
     * failed).
     */
    public BifurcationReport run(Progress progress, Map<String, KinkRules> probed) {
        probed.forEach(knownRules::putIfAbsent);
        if (runner != null) return runner.run(this, progress);
        long start = System.nanoTime();
        List<Row> rows = new ArrayList<>();
        List<DifferingBatch> differing = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        int[] certified = {0};
        for (Network n : config.networks())
            for (Subject s : subjects)
                for (Precision p : precisionsOf(s.backend()))
                    rows.add(row(n, s, p, differing, notes, certified, progress));
        return report(rows, differing, notes, (System.nanoTime() - start) / 1_000_000, certified[0]);
    }

    /** The report of finished rows: the notes every run adds, the published figures, the setup. */
    private BifurcationReport report(List<Row> rows, List<DifferingBatch> differing, List<String> notes, long wallMillis,
                                     int certified) {
        if (rows.stream().anyMatch(r -> r.batchesWithZeros() < r.batches()))
            notes.add("mini-batches without an exact zero were not backpropagated a second time: with no ReLU "
                    + "argument at 0 the relu'(0)=1 backward performs the same operations on the same numbers");
        for (Subject s : subjects)
            if (precisionsOf(s.backend()).size() < config.precisions().size())
                notes.add(s.backend().name() + " does not offer "
                        + config.precisions().stream().filter(p -> !s.backend().precisions().contains(p)).toList());
        List<PublishedKinkFigures.Row> published = new ArrayList<>();
        for (Network n : config.networks())
            PublishedKinkFigures.find(n.depth(), n.width(), n.batch()).ifPresent(published::add);
        var setup = new BifurcationReport.Setup(config.dataset(), config.data().size(), config.data().featureCount(),
                config.inits(), config.seed(), config.sweep(),
                "PyTorch default (weights and biases uniform in ±1/√fan_in), drawn in float32", config.certifyLimit(),
                wallMillis, certified);
        return new BifurcationReport(setup, rows, differing, published, notes);
    }

    private Row row(Network n, Subject s, Precision p, List<DifferingBatch> differing, List<String> notes,
                    int[] certified, Progress progress) {
        long t0 = System.nanoTime();
        Backend zero = s.backend();
        Backend one = s.configuredRelu1().orElse(zero);
        boolean configured = s.configuredRelu1().isPresent();
        Procedure p0 = ruleZero(n), p1 = configured ? p0 : reformulated(n);
        String label = "bifurcation " + n.label() + " batch " + n.batch() + " " + zero.name() + " " + p;
        int perEpoch = batchesPerEpoch(n);
        long units = (long) config.inits() * perEpoch;
        String why = refusal(zero, one, p0, p1, configured, p);
        KinkRules rules = why.isEmpty() ? rules(zero, p) : null;
        if (!why.isEmpty()) {
            skip(progress, label, units);
            return new Row(n.label(), n.depth(), n.width(), n.batch(), zero.name(), p, configured ? "configured" : "reformulated",
                    0, 0, Double.NaN, Double.NaN, 0, 0, 0, 0, 0, 0, why);
        }
        int w1 = config.data().featureCount() * n.width();
        int inits = 0, initsDiffering = 0, rowCertified = 0;
        Tally t = new Tally();
        String error = "";
        outer:
        for (int init = 0; init < config.inits(); init++) {
            Map<String, Tensor> params = Point.unflatten(p0, initialisation.apply(n, init));
            int[][] order = batches(n, init);
            boolean differs = false;
            for (int step = 0; step < order.length; step++) {
                Point point = point(p0, params, order[step]);
                Both b;
                try {
                    b = both(zero, one, p0, p1, point, p, w1, t, () -> progress.step(label));
                } catch (BackendException | RuntimeException e) {
                    error = "initialisation " + init + ", mini-batch " + step + ": " + e.getMessage();
                    skip(progress, label, units - (long) init * perEpoch - step - 1);
                    break outer;
                }
                if (b == null) continue;
                differs = true;
                if (rowCertified < config.certifyLimit()) {
                    rowCertified++;
                    certified[0]++;
                    differing.add(judge(n, zero.name(), p, init, step, p0, point, b.e0(), b.e1(), rules, b.d().entries(), b.d().maxAbs()));
                }
            }
            inits++;
            if (differs) initsDiffering++;
        }
        double[] ci = BifurcationReport.wilson(initsDiffering, inits);
        if (rowCertified >= config.certifyLimit() && t.batchesDiffering > rowCertified)
            notes.add(zero.name() + " " + p + " " + n.label() + ": the certifier judged the first " + rowCertified
                    + " of " + t.batchesDiffering + " differing mini-batches");
        return new Row(n.label(), n.depth(), n.width(), n.batch(), zero.name(), p, configured ? "configured" : "reformulated",
                inits, initsDiffering, ci[0], ci[1], t.batches, t.withZeros, t.batchesDiffering, t.zeros, t.evaluations,
                (System.nanoTime() - t0) / 1_000_000, error);
    }

    /**
     * Both gradients of a differing mini-batch go to the certifier, as AD of the relu′(0)=0 procedure with
     * |·| slope −1 and +1 at the backend's zero switches (relu′(0) = (1+c)/2); the exact signature at the
     * rounded point tells which zeros are kinks and on which side the others lie.
     */
    private DifferingBatch judge(Network n, String backend, Precision p, int init, int step, Procedure p0, Point point,
                                 Evaluation e0, Evaluation e1, KinkRules rules, int entries, double maxAbs) {
        double[] values = e0.switches().values();
        int zeros = e0.switches().zeros();
        Candidate c0 = new Candidate(backend + " relu'(0)=0", e0.gradient(), p,
                Optional.of(new SwitchTrace(values, slopes(values, -1))), Optional.ofNullable(rules));
        Candidate c1 = new Candidate(backend + " relu'(0)=1", e1.gradient(), p,
                Optional.of(new SwitchTrace(values, slopes(values, 1))), Optional.empty());
        try {
            int[] sigma = AbsNormalForm.at(p0, point.rounded(p)).sigma;
            int kinks = 0, below = 0, above = 0;
            for (int i = 0; i < values.length; i++) {
                if (values[i] != 0) continue;
                if (sigma[i] == 0) kinks++;
                else if (sigma[i] < 0) below++;
                else above++;
            }
            List<Result> r = certifier.certify(p0, point, List.of(c0, c1)).results();
            Result r0 = r.get(0), r1 = r.get(1);
            boolean ok0 = r0.verdict() == Verdict.CERTIFIED, ok1 = r1.verdict() == Verdict.CERTIFIED;
            String matched = kinks == 0
                    ? (above == 0 ? "relu'(0)=0" : below == 0 ? "relu'(0)=1" : "neither")
                    : ok0 && ok1 ? "both" : ok0 ? "relu'(0)=0" : ok1 ? "relu'(0)=1" : "neither";
            String detail = !ok0 ? "relu'(0)=0: " + r0.detail() : !ok1 ? "relu'(0)=1: " + r1.detail() : "";
            return new DifferingBatch(n.label(), n.batch(), backend, p, init, step, zeros, kinks, below, above, entries,
                    maxAbs, Outcome.of(r0.verdict()), r0.reason().name(), Outcome.of(r1.verdict()), r1.reason().name(),
                    matched, detail);
        } catch (RuntimeException e) {
            return new DifferingBatch(n.label(), n.batch(), backend, p, init, step, zeros, -1, -1, -1, entries, maxAbs,
                    Outcome.NOT_JUDGED, "", Outcome.NOT_JUDGED, "", "not judged", "the certifier failed: " + e);
        }
    }

    private static double[] slopes(double[] values, double c) {
        double[] s = new double[values.length];
        for (int i = 0; i < values.length; i++) s[i] = values[i] == 0 ? c : Double.NaN;
        return s;
    }

    private KinkRules rules(Backend b, Precision p) {
        String key = b.name() + "/" + p;
        if (!knownRules.containsKey(key)) {
            try {
                knownRules.put(key, KinkRuleProbe.probe(b, p).rules());
            } catch (BackendException | RuntimeException e) {
                knownRules.put(key, null);
            }
        }
        return knownRules.get(key);
    }

    private static void skip(Progress progress, String label, long units) {
        for (long i = 0; i < units; i++) progress.step(label);
    }

    /** SplitMix64 finalizer: unrelated generator seeds for consecutive initialisations. */
    static long mix(long seed, long k) {
        long z = seed * 0x9E3779B97F4A7C15L + k + 0x632BE59BD9B4E019L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    // The sweep in units of work, for running it elsewhere (a cluster): one network, subject, precision and
    // initialisation per unit. Merging the units' results gives the report run() gives, row for row.

    /**
     * One unit of work.
     *
     * @param network   index into {@link Config#networks()}
     * @param subject   index into the subjects
     * @param precision the precision of both backward passes
     * @param init      initialisation index from 0
     */
    public record Unit(int network, int subject, Precision precision, int init) implements java.io.Serializable {
        public Unit { Objects.requireNonNull(precision); }
    }

    /** A mini-batch of a unit whose first-layer weight gradients differ, before the certifier judged it. */
    public record Judgement(Unit unit, int step, int entries, double maxAbs) implements java.io.Serializable {
        public Judgement { Objects.requireNonNull(unit); }
    }

    /**
     * What one unit measured.
     *
     * @param unit             the unit
     * @param refused          "" or why the unit's row cannot run at all (a precision the backend does not offer,
     *                         an op it does not support, a relu′(0) that is not 0, a unit outside the sweep)
     * @param completed        whether the initialisation went through its whole epoch
     * @param differs          whether a mini-batch of it differed
     * @param batches          mini-batches evaluated
     * @param withZeros        of those, mini-batches with an exact zero
     * @param batchesDiffering of those, mini-batches whose gradients differ
     * @param zeros            ReLU arguments at exactly 0
     * @param evaluations      ReLU evaluations
     * @param millis           wall time of the unit
     * @param error            "" or why the initialisation stopped (its row stops there, as in {@link #run})
     * @param differing        the differing mini-batches, in order
     */
    public record UnitResult(Unit unit, String refused, boolean completed, boolean differs, long batches, long withZeros,
                             long batchesDiffering, long zeros, long evaluations, long millis, String error,
                             List<Judgement> differing) implements java.io.Serializable {
        public UnitResult {
            Objects.requireNonNull(unit);
            Objects.requireNonNull(refused);
            Objects.requireNonNull(error);
            differing = List.copyOf(differing);
        }

        /** A unit that did not run, for the reason given. */
        public static UnitResult refused(Unit unit, String why) {
            return new UnitResult(unit, why, false, false, 0, 0, 0, 0, 0, 0, "", List.of());
        }

        /** A unit that stopped at once: its row stops there with this error. */
        public static UnitResult failed(Unit unit, String error) {
            return new UnitResult(unit, "", false, false, 0, 0, 0, 0, 0, 0, error, List.of());
        }
    }

    /** Runs the experiment somewhere else; {@link #run} hands over to it (see {@link #withRunner}). */
    public interface Runner {
        BifurcationReport run(Bifurcation experiment, Progress progress);
    }

    /** This experiment, run by {@code runner} instead of in this thread. */
    public Bifurcation withRunner(Runner runner) {
        this.runner = Objects.requireNonNull(runner);
        return this;
    }

    /** The backends under test, in report order. */
    public List<Subject> subjects() { return subjects; }

    /** Every unit of {@link #run}, in its order. */
    public List<Unit> workUnits() {
        List<Unit> all = new ArrayList<>();
        for (int n = 0; n < config.networks().size(); n++)
            for (int s = 0; s < subjects.size(); s++)
                for (Precision p : precisionsOf(subjects.get(s).backend()))
                    for (int i = 0; i < config.inits(); i++) all.add(new Unit(n, s, p, i));
        return all;
    }

    /** Mini-batches of a unit: its share of {@link #units()} (0 for a unit outside the sweep). */
    public long unitsOf(Unit u) {
        return u.network() >= 0 && u.network() < config.networks().size() ? batchesPerEpoch(config.networks().get(u.network())) : 0;
    }

    /**
     * The kink rules of every subject and precision by {@code backend/precision} (null: the probe failed),
     * probing those not known yet, so that units run elsewhere use the rules this process measured.
     */
    public Map<String, KinkRules> knownRules() {
        for (Subject s : subjects)
            for (Precision p : precisionsOf(s.backend())) rules(s.backend(), p);
        return new HashMap<>(knownRules);
    }

    /** Runs one unit; a unit that cannot run for a reason of its own comes back with the reason. */
    public UnitResult runUnit(Unit u) {
        String outside = outside(u);
        if (!outside.isEmpty()) return UnitResult.refused(u, outside);
        long t0 = System.nanoTime();
        Network n = config.networks().get(u.network());
        Subject s = subjects.get(u.subject());
        Precision p = u.precision();
        Backend zero = s.backend();
        Backend one = s.configuredRelu1().orElse(zero);
        boolean configured = s.configuredRelu1().isPresent();
        if (!zero.precisions().contains(p)) return UnitResult.refused(u, zero.name() + " does not offer " + p);
        Procedure p0 = ruleZero(n), p1 = configured ? p0 : reformulated(n);
        String why = refusal(zero, one, p0, p1, configured, p);
        if (!why.isEmpty()) return UnitResult.refused(u, why);
        int w1 = config.data().featureCount() * n.width();
        Tally t = new Tally();
        String error = "";
        List<Judgement> differing = new ArrayList<>();
        Map<String, Tensor> params = Point.unflatten(p0, initialisation.apply(n, u.init()));
        int[][] order = batches(n, u.init());
        for (int step = 0; step < order.length; step++) {
            Both b;
            try {
                b = both(zero, one, p0, p1, point(p0, params, order[step]), p, w1, t, () -> { });
            } catch (BackendException | RuntimeException e) {
                error = "initialisation " + u.init() + ", mini-batch " + step + ": " + e.getMessage();
                break;
            }
            if (b != null) differing.add(new Judgement(u, step, b.d().entries(), b.d().maxAbs()));
        }
        return new UnitResult(u, "", error.isEmpty(), !differing.isEmpty(), t.batches, t.withZeros, t.batchesDiffering, t.zeros,
                t.evaluations, (System.nanoTime() - t0) / 1_000_000, error, differing);
    }

    private String outside(Unit u) {
        if (u.network() < 0 || u.network() >= config.networks().size())
            return "no network " + u.network() + " in the sweep (it has " + config.networks().size() + ")";
        if (u.subject() < 0 || u.subject() >= subjects.size())
            return "no backend " + u.subject() + " in the sweep (it has " + subjects.size() + ")";
        if (u.init() < 0 || u.init() >= config.inits())
            return "initialisation " + u.init() + " is outside 0.." + (config.inits() - 1);
        return "";
    }

    /**
     * The differing mini-batches the certifier judges: per row, the first {@link Config#certifyLimit()} in
     * initialisation and mini-batch order, up to where the row stopped (as {@link #run} judges them).
     */
    public List<Judgement> toJudge(List<UnitResult> results) {
        List<Judgement> out = new ArrayList<>();
        for (List<UnitResult> row : rowsOf(results)) {
            if (refusal(row).isPresent()) continue;
            int taken = 0;
            for (UnitResult r : row) {
                for (Judgement j : r.differing())
                    if (taken < config.certifyLimit()) {
                        out.add(j);
                        taken++;
                    }
                if (!r.error().isEmpty()) break;
            }
        }
        return out;
    }

    /**
     * The certifier's verdict on one differing mini-batch: both backward passes are evaluated again (the
     * backends are deterministic at a fixed point) and judged as in {@link #run}.
     */
    public DifferingBatch judge(Judgement j) {
        Unit u = j.unit();
        String outside = outside(u);
        if (!outside.isEmpty()) throw new IllegalArgumentException(outside);
        Network n = config.networks().get(u.network());
        Subject s = subjects.get(u.subject());
        Backend zero = s.backend();
        Backend one = s.configuredRelu1().orElse(zero);
        Procedure p0 = ruleZero(n), p1 = s.configuredRelu1().isPresent() ? p0 : reformulated(n);
        Point point = point(p0, Point.unflatten(p0, initialisation.apply(n, u.init())), batches(n, u.init())[j.step()]);
        Evaluation e0, e1;
        try {
            e0 = zero.evaluate(p0, point, u.precision());
            e1 = one.evaluate(p1, point, u.precision());
        } catch (BackendException | RuntimeException e) {
            return new DifferingBatch(n.label(), n.batch(), zero.name(), u.precision(), u.init(), j.step(), -1, -1, -1, -1,
                    j.entries(), j.maxAbs(), Outcome.NOT_JUDGED, "", Outcome.NOT_JUDGED, "", "not judged",
                    "evaluating the mini-batch again failed: " + e.getMessage());
        }
        return judge(n, zero.name(), u.precision(), u.init(), j.step(), p0, point, e0, e1, rules(zero, u.precision()),
                j.entries(), j.maxAbs());
    }

    /**
     * The report of units run anywhere: rows per network, subject and precision in the order of {@link #run}
     * (units in any order; a unit given twice counts once), stopping a row at its first error.
     *
     * @param judged     the verdicts on {@link #toJudge}{@code (results)}, in its order
     * @param wallMillis wall time of the whole experiment
     * @param extraNotes notes to add after the experiment's own (where it ran, for instance)
     */
    public BifurcationReport merge(List<UnitResult> results, List<DifferingBatch> judged, long wallMillis,
                                   List<String> extraNotes) {
        List<List<UnitResult>> grouped = rowsOf(results);
        if (judged.size() != toJudge(results).size())
            throw new IllegalArgumentException(judged.size() + " verdicts for " + toJudge(results).size() + " mini-batches to judge");
        List<Row> rows = new ArrayList<>();
        List<DifferingBatch> differing = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        int next = 0;
        for (List<UnitResult> row : grouped) {
            Unit first = row.get(0).unit();
            Optional<String> refused = refusal(row);
            String backendName, relu1;
            Network n;
            boolean knownNetwork = first.network() >= 0 && first.network() < config.networks().size();
            boolean knownSubject = first.subject() >= 0 && first.subject() < subjects.size();
            n = knownNetwork ? config.networks().get(first.network()) : new Network(1, 1, 1);
            if (knownSubject) {
                Subject s = subjects.get(first.subject());
                backendName = s.backend().name();
                relu1 = s.configuredRelu1().isPresent() ? "configured" : "reformulated";
            } else {
                backendName = "backend " + first.subject();
                relu1 = "";
            }
            Precision p = first.precision();
            if (refused.isPresent()) {
                rows.add(new Row(n.label(), n.depth(), n.width(), n.batch(), backendName, p, relu1,
                        0, 0, Double.NaN, Double.NaN, 0, 0, 0, 0, 0, 0, refused.get()));
                continue;
            }
            int inits = 0, initsDiffering = 0, candidates = 0;
            long batches = 0, withZeros = 0, batchesDiffering = 0, zeros = 0, evaluations = 0, millis = 0;
            String error = "";
            for (UnitResult r : row) {
                batches += r.batches();
                withZeros += r.withZeros();
                batchesDiffering += r.batchesDiffering();
                zeros += r.zeros();
                evaluations += r.evaluations();
                millis += r.millis();
                candidates += r.differing().size();
                if (!r.error().isEmpty()) {
                    error = r.error();
                    break;
                }
                if (r.completed()) {
                    inits++;
                    if (r.differs()) initsDiffering++;
                }
            }
            int rowCertified = Math.min(candidates, config.certifyLimit());
            for (int k = 0; k < rowCertified; k++) differing.add(judged.get(next++));
            double[] ci = BifurcationReport.wilson(initsDiffering, inits);
            if (rowCertified >= config.certifyLimit() && batchesDiffering > rowCertified)
                notes.add(backendName + " " + p + " " + n.label() + ": the certifier judged the first " + rowCertified
                        + " of " + batchesDiffering + " differing mini-batches");
            rows.add(new Row(n.label(), n.depth(), n.width(), n.batch(), backendName, p, relu1, inits, initsDiffering,
                    ci[0], ci[1], batches, withZeros, batchesDiffering, zeros, evaluations, millis, error));
        }
        BifurcationReport r = report(rows, differing, notes, wallMillis, judged.size());
        if (extraNotes.isEmpty()) return r;
        List<String> all = new ArrayList<>(r.notes());
        all.addAll(extraNotes);
        return new BifurcationReport(r.setup(), r.rows(), r.differing(), r.published(), all);
    }

    /** Runs every unit here, one after another, and merges them (the path a cluster run takes, in one thread). */
    public BifurcationReport runByUnits(Progress progress) {
        long start = System.nanoTime();
        List<UnitResult> results = new ArrayList<>();
        for (Unit u : workUnits()) {
            results.add(runUnit(u));
            skip(progress, "bifurcation units", unitsOf(u));
        }
        List<DifferingBatch> judged = toJudge(results).stream().map(this::judge).toList();
        return merge(results, judged, (System.nanoTime() - start) / 1_000_000, List.of());
    }

    /** Units grouped into rows, rows in the order of {@link #run}, units by initialisation; duplicates dropped. */
    private List<List<UnitResult>> rowsOf(List<UnitResult> results) {
        Map<Unit, UnitResult> unique = new LinkedHashMap<>();
        for (UnitResult r : results) unique.putIfAbsent(r.unit(), r);
        List<UnitResult> sorted = new ArrayList<>(unique.values());
        java.util.Comparator<UnitResult> order = java.util.Comparator.<UnitResult>comparingInt(r -> r.unit().network())
                .thenComparingInt(r -> r.unit().subject())
                .thenComparingInt(r -> precisionRank(r.unit().precision()))
                .thenComparingInt(r -> r.unit().init());
        sorted.sort(order);
        List<List<UnitResult>> rows = new ArrayList<>();
        for (UnitResult r : sorted) {
            List<UnitResult> last = rows.isEmpty() ? null : rows.get(rows.size() - 1);
            Unit u = r.unit(), l = last == null ? null : last.get(0).unit();
            // a unit outside the sweep is a row of its own, with the reason
            if (l != null && l.network() == u.network() && l.subject() == u.subject() && l.precision() == u.precision()
                    && outside(u).isEmpty() && outside(l).isEmpty())
                last.add(r);
            else
                rows.add(new ArrayList<>(List.of(r)));
        }
        return rows;
    }

    private int precisionRank(Precision p) {
        int i = config.precisions().indexOf(p);
        return i >= 0 ? i : config.precisions().size() + p.ordinal();
    }

    private static Optional<String> refusal(List<UnitResult> row) {
        return row.stream().map(UnitResult::refused).filter(s -> !s.isEmpty()).findFirst();
    }

    /** Where two gradients differ in their first n entries (NaN equal to NaN): how many entries, and the largest |Δ|. */
    /**
     * Why a row or unit cannot run: a backend that does not take its procedure, or a reformulation whose backend's
     * relu′(0) is not 0 (it would then not give relu′(0) = 1); "" when it can. Probes the backend's kink rules
     * (memoised) when the procedures are supported.
     */
    private String refusal(Backend zero, Backend one, Procedure p0, Procedure p1, boolean configured, Precision p) {
        String why = zero.unsupported(p0).or(() -> one.unsupported(p1)).orElse("");
        KinkRules rules = why.isEmpty() ? rules(zero, p) : null;
        if (why.isEmpty() && !configured && rules != null && rules.relu0() != 0)
            why = "relu'(0) of " + zero.name() + " is " + rules.relu0() + ", not 0: the reformulation would not give relu'(0)=1";
        return why;
    }

    /** The counts of a row or unit: mini-batches evaluated, with a zero switch, differing; zero switches; switches. */
    private static final class Tally {
        long batches, withZeros, batchesDiffering, zeros, evaluations;
    }

    /** A differing mini-batch: both evaluations and the difference of their gradients. */
    private record Both(Evaluation e0, Evaluation e1, Difference d) {}

    /**
     * One mini-batch: evaluated under relu′(0) = 0 ({@code afterFirst} runs once that evaluation is counted) and, when
     * it has a zero switch, under relu′(0) = 1; the two evaluations when their gradients differ in the first
     * {@code w1} entries, else null. The tally counts it.
     */
    private static Both both(Backend zero, Backend one, Procedure p0, Procedure p1, Point point, Precision p, int w1, Tally t,
                             Runnable afterFirst) throws BackendException {
        Evaluation e0 = zero.evaluate(p0, point, p);
        t.batches++;
        t.evaluations += e0.switches().size();
        int z = e0.switches().zeros();
        t.zeros += z;
        afterFirst.run();
        if (z == 0) return null;
        t.withZeros++;
        Evaluation e1 = one.evaluate(p1, point, p);
        Difference d = Difference.of(e0.gradient(), e1.gradient(), w1);
        if (d.entries() == 0) return null;
        t.batchesDiffering++;
        return new Both(e0, e1, d);
    }

    record Difference(int entries, double maxAbs) {
        static Difference of(double[] g0, double[] g1, int n) {
            int entries = 0;
            double maxAbs = 0;
            for (int i = 0; i < n; i++)
                if (g0[i] != g1[i] && !(Double.isNaN(g0[i]) && Double.isNaN(g1[i]))) {
                    entries++;
                    maxAbs = Math.max(maxAbs, Math.abs(g0[i] - g1[i]));
                }
            return new Difference(entries, maxAbs);
        }
    }
}
