package org.abscert.experiments;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import org.abscert.certifier.Candidate;
import org.abscert.certifier.Certifier;
import org.abscert.certifier.Result;
import org.abscert.certifier.probe.KinkRuleProbe;
import org.abscert.certifier.probe.KinkRules;
import org.abscert.certifier.probe.PoolTieProbe;
import org.abscert.experiments.MaxPoolReport.JudgedBatch;
import org.abscert.experiments.MaxPoolReport.Row;
import org.abscert.experiments.MaxPoolReport.RuleVerdict;
import org.abscert.spi.Backend;
import org.abscert.spi.BackendException;
import org.abscert.spi.Evaluation;
import org.abscert.spi.Precision;
import org.abscert.spi.data.Dataset;
import org.abscert.spi.ir.Cnn;
import org.abscert.spi.ir.Op;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.ir.Tensor;
import org.abscert.spi.ir.TensorDecl;
import org.abscert.spi.ir.Window2d;

/**
 * The max-pool experiment: does a backpropagated gradient change with max_pool2d's tie rule, and is each
 * rule's gradient a Clarke gradient where it matters?
 *
 * <p>Networks ({@link Network}): a LeNet-style CNN (conv 6@5×5, relu, max-pool, conv 16@5×5, relu, max-pool,
 * flatten, dense 120 relu, dense 84 relu, dense classes, softmax cross-entropy) with 2×2/stride-2 pooling, and
 * the same network with overlapping 3×3/stride-2 pooling, on 28×28 images ({@link #images}).
 *
 * <p>Protocol, as in {@link Bifurcation}: per network, backend, precision and initialisation, PyTorch's default
 * initialisation (uniform in ±1/√fan_in, fan_in = C·k·k for a convolution; drawn in float32, seeded), a
 * seeded shuffle of the examples into full mini-batches, one epoch at learning rate 0. For each mini-batch the
 * backend evaluates with its first tie rule; the zero switches of the max-pool folds are its ties. When a
 * subject has further rules (the tape: first cell, even split, all cells) and the mini-batch has a tie, the
 * other rules evaluate the same point and every gradient entry is compared with the first rule's, numerically
 * (−0 equals 0). Without a tie the rules perform the same operations on the same numbers, so the second and
 * third evaluations are skipped.
 *
 * <p>The first {@link Config#certifyLimit()} mini-batches with a tie in each row go to the certifier with every
 * rule's gradient and trace. The certifier runs with a deadline and a work cap ({@link Config#deadline()},
 * {@link Config#workCap()}), so a mini-batch it cannot decide in time is UNDECIDED, not a hang.
 */
public final class MaxPoolExperiment {

    /**
     * A network of the experiment: the LeNet-style CNN with {@code pool}×{@code pool} max pooling of stride
     * {@code stride}.
     */
    public record Network(String name, int pool, int stride) {
        public Network {
            Objects.requireNonNull(name);
            if (pool <= 0 || stride <= 0) throw new IllegalArgumentException("pool and stride must be positive");
        }

        /** LeNet's 2×2 pooling of stride 2: windows do not overlap. */
        public static final Network LENET = new Network("lenet", 2, 2);
        /** Overlapping 3×3 pooling of stride 2 (AlexNet's choice): neighbouring windows share a row or column. */
        public static final Network OVERLAP = new Network("lenet-overlap", 3, 2);

        public String poolLabel() { return pool + "×" + pool + "/" + stride; }

        /** The network as the {@code cnn} shorthand, for images of [1, 28, 28] and {@code classes} outputs. */
        public Cnn cnn(int classes, int batch) {
            return new Cnn(List.of(1, SIDE, SIDE), List.of(new Cnn.Layer("conv", 6, 5, "relu"), new Cnn.Layer("maxpool", pool, stride, null),
                    new Cnn.Layer("conv", 16, 5, "relu"), new Cnn.Layer("maxpool", pool, stride, null), new Cnn.Layer("flatten", 0, 0, null),
                    new Cnn.Layer("dense", 120, 0, "relu"), new Cnn.Layer("dense", 84, 0, "relu"),
                    new Cnn.Layer("dense", classes, 0, "identity")), false, "softmax_cross_entropy", batch);
        }
    }

    /** Image side: 28 (Fashion-MNIST as is; the 8×8 digits scaled ×3 into the middle). */
    public static final int SIDE = 28;

    /**
     * What to run.
     *
     * @param dataset      data set name for the report
     * @param data         the examples of one epoch
     * @param networks     networks to measure
     * @param batch        mini-batch size
     * @param inits        initialisations per network, backend and precision
     * @param seed         seed of initialisations and batch orders
     * @param precisions   precisions to run (each backend runs those it offers)
     * @param certifyLimit mini-batches with a tie the certifier judges per row, at most
     * @param deadline     the certifier's wall-clock budget per mini-batch (all rules together)
     * @param workCap      the certifier's work cap
     */
    public record Config(String dataset, Dataset data, List<Network> networks, int batch, int inits, long seed,
                         List<Precision> precisions, int certifyLimit, Duration deadline, long workCap) {
        public Config {
            Objects.requireNonNull(dataset);
            Objects.requireNonNull(data);
            Objects.requireNonNull(deadline);
            networks = List.copyOf(networks);
            precisions = List.copyOf(precisions);
            if (inits <= 0) throw new IllegalArgumentException("inits must be positive, got " + inits);
            if (batch <= 0 || batch > data.size())
                throw new IllegalArgumentException("batch must be in 1.." + data.size() + ", got " + batch);
            if (certifyLimit < 0) throw new IllegalArgumentException("certifyLimit must be ≥ 0");
            if (workCap <= 0) throw new IllegalArgumentException("workCap must be positive");
            if (data.featureCount() != SIDE * SIDE && data.featureCount() != 64)
                throw new IllegalArgumentException("images must be 28×28 or 8×8, got " + data.featureCount() + " features");
        }
    }

    /** One tie rule of a subject: its label and the backend configured with it. */
    public record Rule(String label, Backend backend) {
        public Rule {
            Objects.requireNonNull(label);
            Objects.requireNonNull(backend);
        }
    }

    /**
     * A backend under test. {@code rules} empty: the backend's own tie rule only (measured by {@link PoolTieProbe});
     * otherwise the configured rules, the first being the reference the others are compared with.
     */
    public record Subject(Backend backend, List<Rule> rules) {
        public Subject {
            Objects.requireNonNull(backend);
            rules = List.copyOf(rules);
        }

        List<Rule> effective(String measured) {
            return rules.isEmpty() ? List.of(new Rule(measured + " (own)", backend)) : rules;
        }
    }

    private final Config config;
    private final List<Subject> subjects;
    private final Certifier certifier;
    private final Map<String, KinkRules> knownRules = new HashMap<>();
    private final Map<Network, Procedure> procedures = new HashMap<>();

    public MaxPoolExperiment(Config config, List<Subject> subjects) {
        this.config = Objects.requireNonNull(config);
        this.subjects = List.copyOf(subjects);
        this.certifier = Certifier.builder().deadline(config.deadline()).workCap(config.workCap()).build();
    }

    public Config config() { return config; }

    private List<Precision> precisionsOf(Backend b) {
        return config.precisions().stream().filter(b.precisions()::contains).toList();
    }

    /** Mini-batches per epoch. */
    public int batchesPerEpoch() { return config.data().size() / config.batch(); }

    /** Work units of {@link #run}: one per mini-batch evaluated with the reference rule. */
    public long units() {
        long u = 0;
        for (Subject s : subjects) u += (long) precisionsOf(s.backend()).size() * config.inits() * batchesPerEpoch();
        return u * config.networks().size();
    }

    /** The network's procedure at the configured batch size. */
    public Procedure procedure(Network n) {
        return procedures.computeIfAbsent(n, k -> k.cnn(config.data().classes(), config.batch())
                .expand("maxpool-" + k.name() + "-b" + config.batch()));
    }

    /**
     * Images [rows, 1, 28, 28]: 784 features as they are; 64 features (the 8×8 digits) scaled ×3 by
     * repetition into the middle of a zero field (as {@code abscert bench} does).
     */
    public static double[] images(Dataset d, int[] rows) {
        double[] x = new double[rows.length * SIDE * SIDE];
        for (int n = 0; n < rows.length; n++) {
            double[] f = d.features()[rows[n]];
            for (int y = 0; y < SIDE; y++)
                for (int c = 0; c < SIDE; c++) {
                    double v;
                    if (f.length == SIDE * SIDE) v = f[y * SIDE + c];
                    else v = y >= 2 && y < 26 && c >= 2 && c < 26 ? f[(y - 2) / 3 * 8 + (c - 2) / 3] : 0;
                    x[(n * SIDE + y) * SIDE + c] = v;
                }
        }
        return x;
    }

    /** The point of one mini-batch of a CNN procedure (data X [rows, 1, 28, 28], Y one-hot). */
    public static Point point(Dataset d, Map<String, Tensor> parameters, int[] rows) {
        Map<String, Tensor> data = new LinkedHashMap<>();
        data.put("X", new Tensor(Shape.of(rows.length, 1, SIDE, SIDE), images(d, rows)));
        data.put("Y", new Tensor(Shape.of(rows.length, d.classes()), d.batchOneHot(rows)));
        return new Point(parameters, data);
    }

    /**
     * PyTorch's default initialisation of {@code nn.Conv2d} and {@code nn.Linear}: weights and biases uniform in
     * ±1/√fan_in (fan_in = C·k·k for a convolution kernel [O, C, k, k], the input width for a dense weight
     * [in, out]; a bias takes the bound of its layer's weight), drawn as float32 values in parameter order.
     */
    public static double[] pytorchDefault(Procedure p, long seed) {
        Random rng = new Random(seed);
        double[] theta = new double[p.parameterSize()];
        Map<String, Integer> fanIn = new HashMap<>();
        for (TensorDecl d : p.parameters()) {
            Shape s = d.shape();
            String layer = d.name().replaceAll("^[A-Za-z]+", "");
            if (s.rank() == 4) fanIn.put(layer, s.dim(1) * s.dim(2) * s.dim(3));
            else if (s.rank() == 2) fanIn.put(layer, s.dim(0));
        }
        int off = 0;
        for (TensorDecl d : p.parameters()) {
            String layer = d.name().replaceAll("^[A-Za-z]+", "");
            Integer f = fanIn.get(layer);
            if (f == null) throw new IllegalArgumentException("no weight for parameter " + d.name());
            double bound = 1 / Math.sqrt(f);
            for (int k = 0; k < d.shape().size(); k++) theta[off++] = (float) ((2 * rng.nextDouble() - 1) * bound);
        }
        return theta;
    }

    /** The initial parameters of one initialisation. */
    public double[] initialParameters(Network n, int init) {
        return pytorchDefault(procedure(n), Bifurcation.mix(config.seed(), 2L * init + 0x4D50L));
    }

    /** The epoch's mini-batches of one initialisation: a seeded shuffle cut into full batches. */
    public int[][] batches(int init) {
        int size = config.data().size();
        int[] order = new int[size];
        for (int i = 0; i < size; i++) order[i] = i;
        Random rng = new Random(Bifurcation.mix(config.seed(), 2L * init + 1 + 0x4D50L));
        for (int i = size - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i]; order[i] = order[j]; order[j] = t;
        }
        int[][] out = new int[size / config.batch()][];
        for (int s = 0; s < out.length; s++) out[s] = Arrays.copyOfRange(order, s * config.batch(), (s + 1) * config.batch());
        return out;
    }

    /** Zero switches of max_pool2d nodes and of the other kink nodes (ReLU) in a trace: {pool, relu}. */
    public static int[] zeros(Procedure p, double[] values) {
        int pool = 0, relu = 0;
        for (int i = 0; i < p.nodes().size(); i++) {
            int off = p.switchOffset(i), n = p.switchesOf(i);
            boolean isPool = p.node(i).op() == Op.MAX_POOL2D;
            for (int k = off; k < off + n; k++)
                if (values[k] == 0) {
                    if (isPool) pool++;
                    else relu++;
                }
        }
        return new int[] {pool, relu};
    }

    /** Per evaluation: pooling windows (output elements of max_pool2d), their fold switches, and ReLU switches. */
    public static long[] evaluations(Procedure p) {
        long windows = 0, poolSwitches = 0, relu = 0;
        for (int i = 0; i < p.nodes().size(); i++) {
            if (p.node(i).op() == Op.MAX_POOL2D) {
                Window2d w = Window2d.of(p, i);
                windows += (long) w.batch * w.channels * w.positions();
                poolSwitches += p.switchesOf(i);
            } else if (p.node(i).op().isKink()) {
                relu += p.switchesOf(i);
            }
        }
        return new long[] {windows, poolSwitches, relu};
    }

    /** Whether two gradients differ in some entry (numerically: −0 equals 0; NaN equals NaN). */
    static boolean differ(double[] a, double[] b) {
        if (a.length != b.length) return true;
        for (int i = 0; i < a.length; i++)
            if (a[i] != b[i] && !(Double.isNaN(a[i]) && Double.isNaN(b[i]))) return true;
        return false;
    }

    /** Runs every network on every subject and precision. */
    public MaxPoolReport run(Progress progress) { return run(progress, Map.of()); }

    /** The same, reusing kink rules already probed (by {@code backend/precision}). */
    public MaxPoolReport run(Progress progress, Map<String, KinkRules> probed) {
        probed.forEach((k, v) -> { if (v != null) knownRules.putIfAbsent(k, v); });
        long start = System.nanoTime();
        List<Row> rows = new ArrayList<>();
        List<JudgedBatch> judged = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        for (Network n : config.networks())
            for (Subject s : subjects)
                for (Precision p : precisionsOf(s.backend()))
                    rows.add(row(n, s, p, judged, notes, progress));
        if (rows.stream().anyMatch(r -> r.rules().size() > 1 && r.batchesWithTies() < r.batches()))
            notes.add("mini-batches without a pooling tie were evaluated with the first rule only: with no tie the "
                    + "rules perform the same operations on the same numbers");
        for (Subject s : subjects)
            if (precisionsOf(s.backend()).size() < config.precisions().size())
                notes.add(s.backend().name() + " does not offer "
                        + config.precisions().stream().filter(p -> !s.backend().precisions().contains(p)).toList());
        var setup = new MaxPoolReport.Setup(config.dataset(), config.data().size(), config.batch(), config.inits(), config.seed(),
                config.networks().stream().map(k -> k.name() + " (" + k.poolLabel() + ")").toList(),
                "PyTorch default (weights and biases uniform in ±1/√fan_in), drawn in float32", config.certifyLimit(),
                config.deadline().toMillis(), config.workCap(), (System.nanoTime() - start) / 1_000_000);
        return new MaxPoolReport(setup, rows, judged, notes);
    }

    private Row row(Network n, Subject s, Precision p, List<JudgedBatch> judged, List<String> notes, Progress progress) {
        long t0 = System.nanoTime();
        Procedure proc = procedure(n);
        Backend ref = s.backend();
        String label = "max-pool " + n.name() + " " + ref.name() + " " + p;
        int perEpoch = batchesPerEpoch();
        long units = (long) config.inits() * perEpoch;
        String measured = "";
        String why = ref.unsupported(proc).orElse("");
        if (why.isEmpty() && s.rules().isEmpty()) {
            try {
                PoolTieProbe.PoolTies t = PoolTieProbe.probe(ref, p);
                measured = t.rule() + (t.absConsistent() ? "" : ", not abs-consistent") + (t.deterministic() ? "" : ", not deterministic");
            } catch (BackendException | RuntimeException e) {
                measured = "unmeasured";
                notes.add(ref.name() + " " + p + ": the max_pool2d tie probe failed: " + e.getMessage());
            }
        }
        List<Rule> rules = s.effective(measured);
        for (Rule r : rules) if (why.isEmpty()) why = r.backend().unsupported(proc).orElse("");
        List<String> ruleLabels = rules.stream().map(Rule::label).toList();
        long[] per = evaluations(proc);
        if (!why.isEmpty()) {
            for (long i = 0; i < units; i++) progress.step(label);
            return new Row(n.name(), n.poolLabel(), ref.name(), p, ruleLabels, 0, 0, 0, 0, 0, 0, 0, 0,
                    zeroCounts(rules.size()), zeroCounts(rules.size()), new double[rules.size()], 0, why);
        }
        KinkRules kr = rules(ref, p);
        int inits = 0, judgedHere = 0;
        long batches = 0, withTies = 0, ties = 0, reluZeros = 0;
        long[] batchesDiffering = new long[rules.size()];
        long[] initsDiffering = new long[rules.size()];
        double[] maxAbs = new double[rules.size()];
        String error = "";
        outer:
        for (int init = 0; init < config.inits(); init++) {
            Map<String, Tensor> params = Point.unflatten(proc, initialParameters(n, init));
            int[][] order = batches(init);
            boolean[] differs = new boolean[rules.size()];
            for (int step = 0; step < order.length; step++) {
                Point point = point(config.data(), params, order[step]);
                Evaluation[] ev = new Evaluation[rules.size()];
                int[] z;
                try {
                    ev[0] = rules.get(0).backend().evaluate(proc, point, p);
                    batches++;
                    z = zeros(proc, ev[0].switches().values());
                    ties += z[0];
                    reluZeros += z[1];
                    progress.step(label);
                    if (z[0] == 0) continue;
                    withTies++;
                    for (int r = 1; r < rules.size(); r++) ev[r] = rules.get(r).backend().evaluate(proc, point, p);
                } catch (BackendException | RuntimeException e) {
                    error = "initialisation " + init + ", mini-batch " + step + ": " + e.getMessage();
                    for (long i = (long) init * perEpoch + step + 1; i < units; i++) progress.step(label);
                    break outer;
                }
                boolean anyDiffers = false;
                for (int r = 1; r < rules.size(); r++) {
                    if (!differ(ev[0].gradient(), ev[r].gradient())) continue;
                    anyDiffers = true;
                    batchesDiffering[r]++;
                    differs[r] = true;
                    maxAbs[r] = Math.max(maxAbs[r], TrainingExperiment.maxAbsDifference(ev[0].gradient(), ev[r].gradient()));
                }
                if (judgedHere < config.certifyLimit()) {
                    judgedHere++;
                    judged.add(judge(n, ref.name(), p, init, step, proc, point, ev, rules, kr, z, anyDiffers));
                }
            }
            inits++;
            for (int r = 1; r < rules.size(); r++) if (differs[r]) initsDiffering[r]++;
        }
        return new Row(n.name(), n.poolLabel(), ref.name(), p, ruleLabels, inits, batches, withTies, ties,
                per[0] * batches, per[1] * batches, reluZeros, per[2] * batches, batchesDiffering, initsDiffering, maxAbs,
                (System.nanoTime() - t0) / 1_000_000, error);
    }

    private static long[] zeroCounts(int n) { return new long[n]; }

    private JudgedBatch judge(Network n, String backend, Precision p, int init, int step, Procedure proc, Point point,
                              Evaluation[] ev, List<Rule> rules, KinkRules kr, int[] z, boolean differs) {
        List<RuleVerdict> verdicts = new ArrayList<>();
        for (int r = 0; r < rules.size(); r++) {
            long c0 = System.nanoTime();
            try {
                // one call per rule: the deadline bounds each gradient's judgement on its own
                Result res = certifier.certify(proc, point, Candidate.of(ev[r], kr));
                verdicts.add(new RuleVerdict(rules.get(r).label(), Outcome.of(res.verdict()), res.reason().name(),
                        res.detail(), res.distance(),
                        (System.nanoTime() - c0) / 1_000_000));
            } catch (RuntimeException e) {
                verdicts.add(new RuleVerdict(rules.get(r).label(), Outcome.NOT_JUDGED, "", "the certifier failed: " + e, Double.NaN,
                        (System.nanoTime() - c0) / 1_000_000));
            }
        }
        return new JudgedBatch(n.name(), backend, p, init, step, z[0], z[1], differs, verdicts);
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
}
