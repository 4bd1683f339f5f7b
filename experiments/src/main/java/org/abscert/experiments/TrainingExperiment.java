package org.abscert.experiments;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import org.abscert.certifier.Result;
import org.abscert.experiments.ComparisonReport.EpochPoint;
import org.abscert.experiments.ComparisonReport.RuleSensitivity;
import org.abscert.experiments.ComparisonReport.Step;
import org.abscert.experiments.ComparisonReport.TrainingRun;
import org.abscert.certifier.probe.KinkRules;
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
 * Plain SGD on a dense ReLU MLP with softmax cross-entropy, driven from outside the backends: at every step
 * the experiment asks a backend for the gradient ({@link Backend#evaluate}) and applies
 * {@code θ ← θ − η·g} itself, in the backend's precision. Every backend starts from the same seeded
 * parameters and sees the same mini-batches in the same order, and then follows its own trajectory.
 *
 * <p>Initialization: weights uniform in ±√(6/fan_in) (He), biases uniform in ±1/√fan_in (PyTorch's default
 * for biases), all rounded to float32 so that the float32 and float64 runs start at the same point. Batches:
 * a seeded shuffle per epoch; a last partial batch is dropped so every step has the same shape.
 */
public final class TrainingExperiment {

    /**
     * @param train         training examples
     * @param test          held-out examples for accuracy
     * @param hidden        hidden layer widths (ReLU)
     * @param batch         mini-batch size
     * @param epochs        passes over the training set
     * @param learningRate  SGD step size
     * @param seed          seed of initialization and batch order
     * @param certifyEvery  certify every k-th step (1: every step)
     */
    public record Config(Dataset train, Dataset test, List<Integer> hidden, int batch, int epochs,
                         double learningRate, long seed, int certifyEvery) {
        public Config {
            Objects.requireNonNull(train);
            Objects.requireNonNull(test);
            hidden = List.copyOf(hidden);
            if (batch <= 0 || batch > train.size()) throw new IllegalArgumentException("batch must be in 1.." + train.size());
            if (epochs <= 0) throw new IllegalArgumentException("epochs must be positive");
            if (certifyEvery <= 0) throw new IllegalArgumentException("certifyEvery must be positive");
            if (!(learningRate > 0)) throw new IllegalArgumentException("learning rate must be positive");
        }
    }

    private final Config config;
    private final int[] widths;
    private final Procedure procedure;
    private final double[] initial;
    private final int[][] batches;
    private final int[] epochOf;

    public TrainingExperiment(Config config) {
        this.config = config;
        Dataset d = config.train();
        List<Mlp.Layer> layers = new ArrayList<>();
        for (int w : config.hidden()) layers.add(new Mlp.Layer(w, "relu"));
        layers.add(new Mlp.Layer(d.classes(), "identity"));
        Mlp mlp = new Mlp(d.featureCount(), layers, true, "softmax_cross_entropy", config.batch());
        this.widths = mlp.widths();
        this.procedure = mlp.expand("training-mlp-" + String.join("-", Arrays.stream(widths).mapToObj(Integer::toString).toList()));
        this.initial = initialParameters(widths, config.seed());
        int perEpoch = d.size() / config.batch();
        this.batches = new int[perEpoch * config.epochs()][];
        this.epochOf = new int[batches.length];
        Random rng = new Random(config.seed() ^ 0x5DEECE66DL);
        int[] order = new int[d.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        for (int e = 0; e < config.epochs(); e++) {
            for (int i = order.length - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = order[i]; order[i] = order[j]; order[j] = t;
            }
            for (int s = 0; s < perEpoch; s++) {
                batches[e * perEpoch + s] = Arrays.copyOfRange(order, s * config.batch(), (s + 1) * config.batch());
                epochOf[e * perEpoch + s] = e + 1;
            }
        }
    }

    /** A data set split into training and held-out examples. */
    public record Split(Dataset train, Dataset test) {}

    /**
     * A seeded split of a data set: {@code testSize} examples held out, the rest for training (both in the
     * shuffled order).
     */
    public static Split holdOut(Dataset d, int testSize, long seed) {
        if (testSize <= 0 || testSize >= d.size()) throw new IllegalArgumentException("test size must be in 1.." + (d.size() - 1));
        int[] order = new int[d.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Random rng = new Random(seed);
        for (int i = order.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i]; order[i] = order[j]; order[j] = t;
        }
        return new Split(subset(d, d.name() + "-train", Arrays.copyOfRange(order, testSize, order.length)),
                subset(d, d.name() + "-test", Arrays.copyOfRange(order, 0, testSize)));
    }

    /** The first {@code n} examples (all when {@code n} is larger). */
    public static Dataset first(Dataset d, int n) {
        int[] rows = new int[Math.min(n, d.size())];
        for (int i = 0; i < rows.length; i++) rows[i] = i;
        return subset(d, d.name(), rows);
    }

    private static Dataset subset(Dataset d, String name, int[] rows) {
        double[][] x = new double[rows.length][];
        int[] y = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            x[i] = d.features()[rows[i]];
            y[i] = d.labels()[rows[i]];
        }
        return new Dataset(name, x, y, d.classes());
    }

    public Config config() { return config; }

    /** The procedure every step evaluates. */
    public Procedure procedure() { return procedure; }

    /** Layer widths from input to output. */
    public int[] widths() { return widths.clone(); }

    /** Number of SGD steps of one run. */
    public int steps() { return batches.length; }

    /** The seeded starting parameters, flat in parameter order (float32 values). */
    public double[] initialParameters() { return initial.clone(); }

    /** The point of step {@code step}: parameters θ and that step's mini-batch. */
    public Point pointAt(double[] theta, int step) {
        int[] rows = batches[step];
        Dataset d = config.train();
        Map<String, Tensor> data = new LinkedHashMap<>();
        data.put("X", new Tensor(Shape.of(rows.length, d.featureCount()), d.batchFeatures(rows)));
        data.put("Y", new Tensor(Shape.of(rows.length, d.classes()), d.batchOneHot(rows)));
        return new Point(Point.unflatten(procedure, theta), data);
    }

    /** The training-set rows of step {@code step}'s mini-batch (a copy). */
    public int[] batchRows(int step) { return batches[step].clone(); }

    /** The epoch (from 1) step {@code step} belongs to. */
    public int epochOf(int step) { return epochOf[step]; }

    /** Mini-batches per epoch. */
    public int stepsPerEpoch() { return batches.length / config.epochs(); }

    /** Whether the held-out set is evaluated after step {@code step}: four times per epoch and at the end. */
    boolean evaluatesAfter(int step) {
        int per = stepsPerEpoch();
        int done = step + 1;
        return done == batches.length || (done % per) % Math.max(1, per / 4) == 0;
    }

    /** Whether step {@code step} is one the certifier judges. */
    public boolean certifies(int step) { return step % config.certifyEvery() == 0; }

    /**
     * Trains with one backend in one precision. A backend failure ends the run with the steps done so far
     * and the message in {@link TrainingRun#error()}.
     *
     * @param rules     the backend's probed kink rules, or null when unknown
     * @param certifier the judge of the steps chosen by {@link Config#certifyEvery()}
     */
    public TrainingRun run(Backend backend, Precision precision, KinkRules rules, org.abscert.certifier.Certifier certifier,
                           Progress progress) {
        return run(backend, precision, rules, new Judge(certifier), progress);
    }

    TrainingRun run(Backend backend, Precision precision, KinkRules rules, Judge judge, Progress progress) {
        String label = "training " + backend.name() + " " + precision;
        List<Step> steps = new ArrayList<>();
        List<EpochPoint> epochs = new ArrayList<>();
        double[] theta = precision.round(initial);
        epochs.add(heldOut(theta, 0));
        String error = "";
        for (int s = 0; s < batches.length; s++) {
            Point point = pointAt(theta, s);
            Evaluation ev;
            long t0 = System.nanoTime();
            try {
                ev = backend.evaluate(procedure, point, precision);
            } catch (BackendException | RuntimeException e) {
                error = "step " + s + ": " + e.getMessage();
                skip(progress, label, batches.length - s);
                break;
            }
            long gradNanos = System.nanoTime() - t0;
            int zeros = ev.switches().zeros();
            Outcome outcome = Outcome.NOT_JUDGED;
            String reason = "", detail = "";
            int spurious = -1;
            long certNanos = -1;
            if (certifies(s)) {
                long c0 = System.nanoTime();
                Optional<Result> r = judge.judge(procedure, point, ev, rules);
                certNanos = System.nanoTime() - c0;
                if (r.isPresent()) {
                    outcome = Outcome.of(r.get().verdict());
                    reason = r.get().reason().name();
                    spurious = r.get().spuriousKinks();
                    if (outcome != Outcome.CERTIFIED) detail = r.get().detail();
                } else {
                    certNanos = -1;
                }
            }
            steps.add(new Step(s, epochOf[s], ev.value(), zeros, ev.switches().size(), spurious, outcome, reason,
                    detail, gradNanos, certNanos));
            if (!Double.isFinite(ev.value())) {
                error = "step " + s + ": the loss is not finite (" + ev.value() + "); training diverged";
                skip(progress, label, batches.length - s);
                break;
            }
            theta = sgd(theta, ev.gradient(), precision);
            progress.step(label);
            if (evaluatesAfter(s)) epochs.add(heldOut(theta, (s + 1) / (double) stepsPerEpoch()));
        }
        return new TrainingRun(backend.name(), precision, steps, epochs, error);
    }

    /**
     * Follows {@code ruleZero}'s trajectory and, at every step, also asks {@code ruleOne} for the gradient
     * at the same point: in how many mini-batches do the two differ?
     */
    public RuleSensitivity sensitivity(Backend ruleZero, Backend ruleOne, Precision precision, Progress progress) {
        String label = "relu′(0) sensitivity " + precision;
        double[] theta = precision.round(initial);
        int differing = 0, withZeros = 0, done = 0;
        long zeroSwitches = 0;
        double maxAbs = 0;
        String error = "";
        for (int s = 0; s < batches.length; s++) {
            Point point = pointAt(theta, s);
            Evaluation a, b;
            try {
                a = ruleZero.evaluate(procedure, point, precision);
                b = ruleOne.evaluate(procedure, point, precision);
            } catch (BackendException | RuntimeException e) {
                error = "step " + s + ": " + e.getMessage();
                skip(progress, label, batches.length - s);
                break;
            }
            int z = a.switches().zeros();
            zeroSwitches += z;
            if (z > 0) withZeros++;
            double d = maxAbsDifference(a.gradient(), b.gradient());
            if (d > 0 || Double.isNaN(d)) differing++;
            if (d > maxAbs) maxAbs = d;
            done++;
            if (!Double.isFinite(a.value())) {
                error = "step " + s + ": the loss is not finite; training diverged";
                skip(progress, label, batches.length - s);
                break;
            }
            theta = sgd(theta, a.gradient(), precision);
            progress.step(label);
        }
        return new RuleSensitivity(ruleZero.name(), precision, done, differing, withZeros, zeroSwitches, maxAbs, error);
    }

    private static void skip(Progress progress, String label, int units) {
        for (int i = 0; i < units; i++) progress.step(label);
    }

    /** θ − η·g computed in the given precision (float32 arithmetic for float32, as a framework would). */
    double[] sgd(double[] theta, double[] g, Precision precision) {
        double[] next = new double[theta.length];
        double eta = config.learningRate();
        if (precision == Precision.FLOAT32) {
            float etaF = (float) eta;
            for (int i = 0; i < theta.length; i++) next[i] = (float) theta[i] - etaF * (float) g[i];
        } else {
            for (int i = 0; i < theta.length; i++) next[i] = theta[i] - eta * g[i];
        }
        return next;
    }

    /** Largest |a_i − b_i|; NaN when lengths differ or an entry is NaN in one but not the other. */
    public static double maxAbsDifference(double[] a, double[] b) {
        if (a.length != b.length) return Double.NaN;
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            double d = Math.abs(a[i] - b[i]);
            if (Double.isNaN(d)) {
                if (Double.isNaN(a[i]) && Double.isNaN(b[i])) continue;
                return Double.NaN;
            }
            if (d > m) m = d;
        }
        return m;
    }

    /**
     * Accuracy and mean cross-entropy of the network on the held-out set, computed here in double: a plain
     * forward pass, not a gradient, so it does not take sides between the backends.
     */
    EpochPoint heldOut(double[] theta, double epoch) {
        Dataset d = config.test();
        int correct = 0;
        double loss = 0;
        for (int r = 0; r < d.size(); r++) {
            double[] h = d.features()[r];
            int off = 0;
            for (int l = 1; l < widths.length; l++) {
                int in = widths[l - 1], out = widths[l];
                double[] z = new double[out];
                int wOff = off, bOff = off + in * out;
                for (int j = 0; j < out; j++) z[j] = theta[bOff + j];
                for (int i = 0; i < in; i++) {
                    double hi = h[i];
                    if (hi == 0) continue;
                    int row = wOff + i * out;
                    for (int j = 0; j < out; j++) z[j] += hi * theta[row + j];
                }
                if (l < widths.length - 1) for (int j = 0; j < out; j++) z[j] = Math.max(0, z[j]);
                h = z;
                off = bOff + out;
            }
            int arg = 0;
            double max = h[0];
            for (int j = 1; j < h.length; j++) if (h[j] > max) { max = h[j]; arg = j; }
            if (arg == d.labels()[r]) correct++;
            double sum = 0;
            for (double v : h) sum += Math.exp(v - max);
            loss += Math.log(sum) + max - h[d.labels()[r]];
        }
        int n = Math.max(1, d.size());
        return new EpochPoint(epoch, correct / (double) n, loss / n);
    }

    static double[] initialParameters(int[] widths, long seed) {
        Random rng = new Random(seed);
        int size = 0;
        for (int l = 1; l < widths.length; l++) size += widths[l - 1] * widths[l] + widths[l];
        double[] theta = new double[size];
        int off = 0;
        for (int l = 1; l < widths.length; l++) {
            int in = widths[l - 1], out = widths[l];
            double wBound = Math.sqrt(6.0 / in), bBound = 1.0 / Math.sqrt(in);
            for (int k = 0; k < in * out; k++) theta[off++] = (float) ((2 * rng.nextDouble() - 1) * wBound);
            for (int k = 0; k < out; k++) theta[off++] = (float) ((2 * rng.nextDouble() - 1) * bBound);
        }
        return theta;
    }
}
