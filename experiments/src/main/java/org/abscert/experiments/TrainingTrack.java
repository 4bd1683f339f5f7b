package org.abscert.experiments;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
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
import org.abscert.certifier.anf.Forward;
import org.abscert.certifier.anf.Program;
import org.abscert.certifier.probe.KinkRuleProbe;
import org.abscert.certifier.probe.KinkRules;
import org.abscert.experiments.TrainingTrackReport.Run;
import org.abscert.experiments.TrainingTrackReport.TrackStep;
import org.abscert.spi.Backend;
import org.abscert.spi.BackendException;
import org.abscert.spi.Evaluation;
import org.abscert.spi.Precision;
import org.abscert.spi.data.Dataset;
import org.abscert.spi.ir.Mlp;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.ir.Tensor;

/**
 * The training track: plain SGD on a dense ReLU MLP and on the LeNet-style CNN of {@link MaxPoolExperiment},
 * per backend and precision (float32 and bfloat16 by default), with the kinks each step's evaluation met (ReLU
 * arguments at exactly 0, max-pool ties), the certifier's verdict on every k-th step and the held-out accuracy.
 *
 * <p>Every backend starts from the same parameters ({@link #initialParameters}: He-uniform weights as in part 3,
 * which leave a LeNet-style CNN's initial plateau far sooner than PyTorch's default) and sees the same
 * mini-batches. Parameters are kept in float32 ("master weights", as mixed-precision training
 * does) and updated in float32 arithmetic, θ ← θ − η·g; a backend evaluates at θ rounded to its precision, so
 * a bfloat16 run computes in bfloat16 without losing updates smaller than bfloat16's spacing. Accuracy and
 * loss on the held-out set are computed here in double at the rounded parameters, before training and after
 * every epoch.
 */
public final class TrainingTrack {

    /** A model of the track: {@code mlp} (hidden ReLU layers) or {@code cnn} (a {@link MaxPoolExperiment.Network}). */
    public record Model(String name, List<Integer> hidden, MaxPoolExperiment.Network cnn) {
        public Model {
            Objects.requireNonNull(name);
            hidden = hidden == null ? List.of() : List.copyOf(hidden);
        }

        public static Model mlp(List<Integer> hidden) { return new Model("mlp", hidden, null); }

        public static Model cnn(MaxPoolExperiment.Network n) { return new Model("cnn", List.of(), n); }

        boolean image() { return cnn != null; }

        /** For people: {@code mlp 784-128-128-10} or {@code cnn lenet (2×2/2)}. */
        public String describe(int features, int classes) {
            if (image()) return "cnn " + cnn.name() + " (pool " + cnn.poolLabel() + ")";
            StringBuilder s = new StringBuilder("mlp ").append(features);
            for (int h : hidden) s.append('-').append(h);
            return s.append('-').append(classes).toString();
        }

        Procedure procedure(int features, int classes, int batch) {
            if (image()) return cnn.cnn(classes, batch).expand("track-" + cnn.name() + "-b" + batch);
            List<Mlp.Layer> layers = new ArrayList<>();
            for (int h : hidden) layers.add(new Mlp.Layer(h, "relu"));
            layers.add(new Mlp.Layer(classes, "identity"));
            return new Mlp(features, layers, true, "softmax_cross_entropy", batch).expand("track-mlp-b" + batch);
        }

        /** The id of the logits node: the last dense layer's pre-activation. */
        String logits(Procedure p) {
            for (int i = p.nodes().size() - 1; i >= 0; i--) if (p.node(i).id().startsWith("z")) return p.node(i).id();
            throw new IllegalStateException("no logits node in " + p.name());
        }
    }

    /**
     * @param dataset      data set name for the report
     * @param train        training examples
     * @param test         held-out examples
     * @param models       models to train
     * @param batch        mini-batch size
     * @param epochs       passes over the training set
     * @param learningRate SGD step size
     * @param seed         seed of initialisation and batch order
     * @param precisions   precisions to run (each backend runs those it offers)
     * @param certifyEvery the certifier judges every k-th step (from step 0)
     * @param deadline     the certifier's wall-clock budget per step
     * @param workCap      the certifier's work cap
     */
    public record Config(String dataset, Dataset train, Dataset test, List<Model> models, int batch, int epochs,
                         double learningRate, long seed, List<Precision> precisions, int certifyEvery, Duration deadline,
                         long workCap) {
        public Config {
            Objects.requireNonNull(dataset);
            Objects.requireNonNull(train);
            Objects.requireNonNull(test);
            Objects.requireNonNull(deadline);
            models = List.copyOf(models);
            precisions = List.copyOf(precisions);
            if (batch <= 0 || batch > train.size()) throw new IllegalArgumentException("batch must be in 1.." + train.size());
            if (epochs <= 0) throw new IllegalArgumentException("epochs must be positive");
            if (certifyEvery <= 0) throw new IllegalArgumentException("certifyEvery must be positive");
            if (!(learningRate > 0)) throw new IllegalArgumentException("learning rate must be positive");
            if (workCap <= 0) throw new IllegalArgumentException("workCap must be positive");
        }
    }

    private final Config config;
    private final List<Backend> backends;
    private final Certifier certifier;
    private final int[][] batches;
    private final Map<String, KinkRules> knownRules = new HashMap<>();

    public TrainingTrack(Config config, List<Backend> backends) {
        this.config = Objects.requireNonNull(config);
        this.backends = List.copyOf(backends);
        this.certifier = Certifier.builder().deadline(config.deadline()).workCap(config.workCap()).build();
        int perEpoch = config.train().size() / config.batch();
        this.batches = new int[perEpoch * config.epochs()][];
        Random rng = new Random(config.seed() ^ 0x7A11L);
        int[] order = new int[config.train().size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        for (int e = 0; e < config.epochs(); e++) {
            for (int i = order.length - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = order[i]; order[i] = order[j]; order[j] = t;
            }
            for (int s = 0; s < perEpoch; s++)
                batches[e * perEpoch + s] = Arrays.copyOfRange(order, s * config.batch(), (s + 1) * config.batch());
        }
    }

    public Config config() { return config; }

    /** SGD steps of one run. */
    public int steps() { return batches.length; }

    public int stepsPerEpoch() { return batches.length / config.epochs(); }

    private List<Precision> precisionsOf(Backend b) {
        return config.precisions().stream().filter(b.precisions()::contains).toList();
    }

    /** Work units of {@link #run}: one per SGD step. */
    public long units() {
        return (long) config.models().size() * backends.stream().mapToLong(b -> precisionsOf(b).size()).sum() * steps();
    }

    /** The point of a mini-batch for a model's procedure. */
    Point point(Model m, Dataset d, double[] theta, Procedure p, int[] rows) {
        Map<String, Tensor> params = Point.unflatten(p, theta);
        if (m.image()) return MaxPoolExperiment.point(d, params, rows);
        Map<String, Tensor> data = new LinkedHashMap<>();
        data.put("X", new Tensor(Shape.of(rows.length, d.featureCount()), d.batchFeatures(rows)));
        data.put("Y", new Tensor(Shape.of(rows.length, d.classes()), d.batchOneHot(rows)));
        return new Point(params, data);
    }

    /** Trains every model on every backend and precision. */
    public TrainingTrackReport run(Progress progress, Map<String, KinkRules> probed) {
        probed.forEach((k, v) -> { if (v != null) knownRules.putIfAbsent(k, v); });
        long start = System.nanoTime();
        List<Run> runs = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        List<String> described = new ArrayList<>();
        for (Model m : config.models()) {
            described.add(m.describe(config.train().featureCount(), config.train().classes()));
            for (Backend b : backends)
                for (Precision p : precisionsOf(b)) {
                    Run r = run(m, b, p, progress);
                    runs.add(r);
                    if (!r.error().isEmpty()) notes.add(r.model() + " " + r.backend() + " " + r.precision() + ": " + r.error());
                }
        }
        for (Backend b : backends)
            if (precisionsOf(b).size() < config.precisions().size())
                notes.add(b.name() + " does not offer "
                        + config.precisions().stream().filter(p -> !b.precisions().contains(p)).toList());
        var setup = new TrainingTrackReport.Setup(config.dataset(), config.train().size(), config.test().size(), described,
                config.batch(), config.epochs(), config.learningRate(), config.seed(), config.precisions(), config.certifyEvery(),
                config.deadline().toMillis(), (System.nanoTime() - start) / 1_000_000);
        return new TrainingTrackReport(setup, runs, notes);
    }

    /** One model on one backend in one precision. A backend failure ends the run with the steps done so far. */
    public Run run(Model m, Backend backend, Precision precision, Progress progress) {
        Dataset train = config.train();
        Procedure p = m.procedure(train.featureCount(), train.classes(), config.batch());
        String label = "training track " + m.name() + " " + backend.name() + " " + precision;
        Optional<String> why = backend.unsupported(p);
        if (why.isPresent()) {
            for (int s = 0; s < steps(); s++) progress.step(label);
            return new Run(m.name(), backend.name(), precision, List.of(), List.of(), "not run: " + why.get());
        }
        KinkRules rules = rules(backend, precision);
        double[] theta = initialParameters(p, config.seed());
        List<TrackStep> steps = new ArrayList<>();
        List<TrainingTrackReport.Accuracy> accuracy = new ArrayList<>();
        accuracy.add(heldOut(m, theta, precision, 0));
        String error = "";
        for (int s = 0; s < batches.length; s++) {
            Point point = point(m, train, precision.round(theta), p, batches[s]);
            Evaluation ev;
            long t0 = System.nanoTime();
            try {
                ev = backend.evaluate(p, point, precision);
            } catch (BackendException | RuntimeException e) {
                error = "step " + s + ": " + e.getMessage();
                for (int r = s; r < batches.length; r++) progress.step(label);
                break;
            }
            long gradNanos = System.nanoTime() - t0;
            int[] z = MaxPoolExperiment.zeros(p, ev.switches().values());
            Outcome outcome = Outcome.NOT_JUDGED;
            String reason = "", detail = "";
            int spurious = -1;
            long certNanos = -1;
            if (s % config.certifyEvery() == 0) {
                long c0 = System.nanoTime();
                try {
                    Result r = certifier.certify(p, point, Candidate.of(ev, rules));
                    outcome = Outcome.of(r.verdict());
                    reason = r.reason().name();
                    spurious = r.spuriousKinks();
                    if (outcome != Outcome.CERTIFIED) detail = r.detail();
                } catch (RuntimeException e) {
                    detail = "the certifier failed: " + e;
                }
                certNanos = System.nanoTime() - c0;
            }
            steps.add(new TrackStep(s, s / stepsPerEpoch() + 1, ev.value(), z[1], z[0], ev.switches().size(), spurious, outcome,
                    reason, detail, gradNanos, certNanos));
            progress.step(label);
            if (!Double.isFinite(ev.value())) {
                error = "step " + s + ": the loss is not finite (" + ev.value() + "); training diverged";
                for (int r = s + 1; r < batches.length; r++) progress.step(label);
                break;
            }
            theta = sgd(theta, ev.gradient());
            if ((s + 1) % stepsPerEpoch() == 0) accuracy.add(heldOut(m, theta, precision, (s + 1) / stepsPerEpoch()));
        }
        return new Run(m.name(), backend.name(), precision, steps, accuracy, error);
    }

    /**
     * The starting parameters, as in {@link TrainingExperiment}: weights uniform in ±√(6/fan_in) (He), biases in
     * ±1/√fan_in (PyTorch's default for biases), fan_in = C·k·k for a convolution kernel [O, C, k, k] and the
     * input width for a dense weight [in, out]; drawn as float32 values in parameter order.
     */
    public static double[] initialParameters(Procedure p, long seed) {
        Random rng = new Random(Bifurcation.mix(seed, 0x7A11L));
        Map<String, Integer> fanIn = new HashMap<>();
        for (org.abscert.spi.ir.TensorDecl d : p.parameters()) {
            Shape s = d.shape();
            String layer = d.name().replaceAll("^[A-Za-z]+", "");
            if (s.rank() == 4) fanIn.put(layer, s.dim(1) * s.dim(2) * s.dim(3));
            else if (s.rank() == 2) fanIn.put(layer, s.dim(0));
        }
        double[] theta = new double[p.parameterSize()];
        int off = 0;
        for (org.abscert.spi.ir.TensorDecl d : p.parameters()) {
            int f = fanIn.get(d.name().replaceAll("^[A-Za-z]+", ""));
            double bound = d.shape().rank() == 1 ? 1 / Math.sqrt(f) : Math.sqrt(6.0 / f);
            for (int k = 0; k < d.shape().size(); k++) theta[off++] = (float) ((2 * rng.nextDouble() - 1) * bound);
        }
        return theta;
    }

    /** θ − η·g in float32 arithmetic (the float32 master weights). */
    double[] sgd(double[] theta, double[] g) {
        double[] next = new double[theta.length];
        float eta = (float) config.learningRate();
        for (int i = 0; i < theta.length; i++) next[i] = (float) theta[i] - eta * (float) g[i];
        return next;
    }

    /** Held-out accuracy and mean cross-entropy at θ rounded to the precision, computed in double. */
    TrainingTrackReport.Accuracy heldOut(Model m, double[] theta, Precision precision, int epoch) {
        Dataset d = config.test();
        Procedure p = m.procedure(d.featureCount(), d.classes(), d.size());
        int[] rows = new int[d.size()];
        for (int i = 0; i < rows.length; i++) rows[i] = i;
        Point point = point(m, d, precision.round(theta), p, rows);
        Program prog = Program.of(p);
        Forward f = Forward.run(prog, point);
        double[] logits = f.v[prog.slotOfNode(p.nodeIndex(m.logits(p)))];
        int k = d.classes(), correct = 0;
        for (int r = 0; r < d.size(); r++) {
            int best = 0;
            for (int c = 1; c < k; c++) if (logits[r * k + c] > logits[r * k + best]) best = c;
            if (best == d.labels()[r]) correct++;
        }
        return new TrainingTrackReport.Accuracy(epoch, correct / (double) d.size(), f.output());
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
