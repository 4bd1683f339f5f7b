package org.abscert.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import org.abscert.certifier.Candidate;
import org.abscert.certifier.Certifier;
import org.abscert.certifier.Result;
import org.abscert.certifier.analysis.StaticAnalysis;
import org.abscert.certifier.analysis.StaticCertificate;
import org.abscert.certifier.probe.KinkRuleProbe;
import org.abscert.certifier.probe.ProbeReport;
import org.abscert.spi.Backend;
import org.abscert.spi.BackendException;
import org.abscert.spi.Backends;
import org.abscert.spi.Evaluation;
import org.abscert.spi.Precision;
import org.abscert.spi.data.Dataset;
import org.abscert.spi.data.Digits;
import org.abscert.spi.ir.Mlp;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.ir.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code abscert bench}: the cost of certification relative to one value-and-gradient evaluation of the tape
 * backend, on a 64-256-256-10 ReLU network with softmax cross-entropy at batch 64 on the digits data.
 *
 * <p>Ratios rather than times, so that the numbers compare across machines: (a) per-step certification where
 * no switch is in doubt, (b) full exact certification of a batch in which biases were chosen so that at
 * least 32 pre-activations are exactly zero, and (c) the repair of §9 on that batch. Each is the median of
 * several repetitions after a warm-up.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
                "Measures certification cost as ratios to one value+gradient evaluation of the tape backend "
                        + "(float64) on a 64-256-256-10 ReLU MLP, softmax cross-entropy, batch 64, digits data, "
                        + "seeded dyadic random initialisation.",
                "(a) certify the tape's gradient at the random point, where no switch is at a kink, as a "
                        + "training loop does every step (the certifier's fast path: static certificate plus the "
                        + "backend's trace; target <= 0.5); (b) certify exactly at a kink-forced batch with --kinks pre-activations "
                        + "of the first layer set exactly to zero through the biases (target <= 20); "
                        + "(c) repair (a certified Clarke gradient) at the kink-forced batch.",
                "All measurements are warmed up, then timed in turn round after round; each is the median of its "
                        + "repetitions."},
        footer = {"", "Exit codes: 0 measured, 2 bad usage or the tape backend is missing."})
final class BenchCommand implements Callable<Integer> {

    static final int[] WIDTHS = {64, 256, 256, 10};
    static final int BATCH = 64;

    @Option(names = "--quick", description = "Fewer repetitions (a smoke run; the ratios are noisier).")
    boolean quick;

    @Option(names = "--repetitions", paramLabel = "N", description = "Timed repetitions per measurement (default: 21, or 3 with --quick).")
    Integer repetitions;

    @Option(names = "--warmup", paramLabel = "N", description = "Untimed warm-up runs per measurement (default: 20, or 1 with --quick).")
    Integer warmup;

    @Option(names = "--kinks", paramLabel = "K", defaultValue = "48",
            description = "Pre-activations forced to exactly zero in (b) and (c) (default: ${DEFAULT-VALUE}, at least 32).")
    int kinks;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "1", description = "Seed of the initialisation (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--model", paramLabel = "M", defaultValue = "all",
            description = "Which rows to measure: mlp, cnn (LeNet-5-style network, float32) or all (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--listeners", description = "Measure the DL4J and DJL training listeners instead: listener time per step as a ratio "
            + "to the framework's own training step (784-256-256-10 ReLU MLP on Fashion-MNIST when installed, else 64-256-256-10 "
            + "on the digits; batch 128, float32) and a LeNet CNN (batch 128; --model picks mlp, cnn or all), mode FAST without and "
            + "with exact kinks (targets <= 0.05 and <= 0.5), DJL with overlap on and off (the check during PyTorch's "
            + "backward pass, or in onTrainingBatch, a LeNet's split over the processors; the default is on when PyTorch leaves a core idle), DJL's LeNet with asynchronous checks, "
            + "mode FULL for reference. Run with OMP_NUM_THREADS=1 for one native thread.")
    boolean listeners;

    @Mixin FormatOption format;

    /** One timed measurement. */
    record Row(String key, String what, double millis, double ratio, String target, String outcome) {}

    @Override public Integer call() throws BackendException {
        int reps = repetitions != null ? repetitions : quick ? 3 : 21;
        int warm = warmup != null ? warmup : quick ? 1 : 20;
        if (reps < 1 || warm < 0) throw new BackendException("--repetitions must be at least 1 and --warmup at least 0");
        if (kinks < 1 || kinks > WIDTHS[1])
            throw new BackendException("--kinks must be between 1 and " + WIDTHS[1] + ", got " + kinks);
        if (!List.of("mlp", "cnn", "all").contains(model))
            throw new BackendException("--model must be mlp, cnn or all, got '" + model + "'");
        if (listeners) return listeners(warm, reps);
        Backend tape = Backends.get("tape");
        if (model.equals("cnn")) return cnn(tape, warm, reps);
        Precision p64 = Precision.FLOAT64;
        // (a) is the per-step check of a training loop: the opt-in fast path, which rests on the static
        // certificate and the trace instead of recomputing the gradient; (b) and (c) use the full judge
        Certifier perStep = Certifier.builder().fastPath(true).build();
        Certifier certifier = Certifier.withDefaults();

        Procedure procedure = new Mlp(WIDTHS[0], List.of(new Mlp.Layer(WIDTHS[1], "relu"), new Mlp.Layer(WIDTHS[2], "relu"),
                new Mlp.Layer(WIDTHS[3], "identity")), true, "softmax_cross_entropy", BATCH).expand("bench-mlp");
        Point smooth = point(seed, 0);
        Point forced = point(seed, kinks);
        ProbeReport probe = KinkRuleProbe.probe(tape, p64);
        StaticCertificate staticCert = StaticAnalysis.analyze(procedure);

        Evaluation atSmooth = tape.evaluate(procedure, smooth, p64);
        Evaluation atForced = tape.evaluate(procedure, forced, p64);
        int activeInTrace = atForced.switches().zeros();
        int zerosAtSmooth = atSmooth.switches().zeros();
        Candidate smoothCandidate = Candidate.of(atSmooth, probe.rules());
        Candidate forcedCandidate = Candidate.of(atForced, probe.rules());

        Result[] last = new Result[3];
        double[] ms = interleaved(warm, reps, List.of(
                () -> tape.evaluate(procedure, smooth, p64),
                () -> last[0] = perStep.certify(procedure, smooth, smoothCandidate),
                () -> last[2] = perStep.certify(procedure, forced, forcedCandidate),
                () -> last[1] = certifier.certify(procedure, forced, forcedCandidate),
                () -> certifier.repair(procedure, forced)));
        double base = ms[0], a = ms[1], a2 = ms[2], b = ms[3], c = ms[4];

        List<Row> rows = List.of(
                new Row("evaluate", "tape value+gradient, float64", base, 1.0, "", ""),
                new Row("certifyStatic", "(a) certify per step (fast path), "
                        + (zerosAtSmooth == 0 ? "no switch at a kink" : zerosAtSmooth + " switches at a kink")
                        + (staticCert.groupedAtEveryPoint() || staticCert.likqAtEveryPoint()
                        ? ", static certificate holds" : ", no static certificate"), a, a / base, "<= 0.5",
                        outcome(last[0])),
                new Row("certifyStaticKinks", "(a') certify per step (fast path), " + activeInTrace
                        + " active switches", a2, a2 / base, "<= 0.5", outcome(last[2])),
                new Row("certifyKinks", "(b) certify exactly, " + activeInTrace + " active switches", b, b / base, "<= 20",
                        outcome(last[1])),
                new Row("repair", "(c) repair at the kink-forced batch", c, c / base, "", ""));

        String model = "mlp 64-256-256-10 relu, softmax_cross_entropy, batch " + BATCH + ", digits, seed " + seed;
        format.print(() -> {
            ObjectNode root = Output.object();
            root.put("model", model);
            root.put("backend", tape.name());
            root.put("precision", p64.label());
            root.put("warmup", warm);
            root.put("repetitions", reps);
            root.put("activeSwitches", activeInTrace);
            root.put("staticLikq", staticCert.likqAtEveryPoint());
            root.put("staticGrouped", staticCert.groupedAtEveryPoint());
            rowsJson(root, rows);
            return root;
        }, () -> "bench: " + model + "; tape float64; median of " + reps + " after " + warm + " warm-up\n" + table(rows));
        if (this.model.equals("all")) return cnn(tape, warm, reps);
        return Main.EXIT_CERTIFIED;
    }

    /** The rows as the JSON array {@code rows}. */
    private static void rowsJson(ObjectNode root, List<Row> rows) {
        ArrayNode arr = root.putArray("rows");
        for (Row r : rows) {
            ObjectNode o = arr.addObject();
            o.put("key", r.key());
            o.put("measure", r.what());
            Output.put(o, "medianMillis", r.millis());
            Output.put(o, "ratio", r.ratio());
            o.put("target", r.target());
            o.put("outcome", r.outcome());
        }
    }

    /** LeNet-5-style rows: 28×28 images, batch 32, float32 (see {@link CnnBench}). */
    private int cnn(Backend tape, int warm, int reps) throws BackendException {
        CnnBench.Measured m = CnnBench.measure(tape, warm, reps, seed);
        List<Row> rows = new ArrayList<>();
        for (CnnBench.Line l : m.lines()) rows.add(new Row(l.key(), l.what(), l.millis(), l.millis() / m.lines().get(0).millis(), l.target(), l.outcome()));
        format.print(() -> {
            ObjectNode root = Output.object();
            root.put("model", m.model());
            root.put("backend", tape.name());
            root.put("precision", Precision.FLOAT32.label());
            root.put("warmup", warm);
            root.put("repetitions", reps);
            root.put("reluKinks", m.reluKinks());
            root.put("poolingTies", m.poolTies());
            rowsJson(root, rows);
            return root;
        }, () -> "bench: " + m.model() + "; tape float32; median of " + reps + " after " + warm + " warm-up\n" + table(rows));
        return Main.EXIT_CERTIFIED;
    }

    /** {@code --listeners}: see {@link ListenerBench}. */
    private int listeners(int warm, int reps) throws BackendException {
        ListenerBench.Data data = ListenerBench.data(4096);
        List<ListenerBench.Line> lines;
        try {
            lines = ListenerBench.measure(data, warm, reps, seed, model.equals("all") ? "all" : model);
        } catch (BackendException e) {
            throw e;
        } catch (Exception e) {
            throw new BackendException("listener benchmark failed: " + e);
        }
        String model = (this.model.equals("cnn") ? "" : "mlp " + data.features() + "-256-256-10 relu, batch " + ListenerBench.BATCH)
                + (this.model.equals("all") ? "; " : "")
                + (this.model.equals("mlp") ? "" : "lenet (conv·6, pool, conv·16, pool, 120, 10), batch " + ListenerBench.CNN_BATCH)
                + "; softmax cross-entropy, float32, SGD, " + data.name() + ", seed " + seed;
        format.print(() -> {
            ObjectNode root = Output.object();
            root.put("model", model);
            root.put("warmup", warm);
            root.put("repetitions", reps);
            root.put("fastKernels", org.abscert.certifier.training.Kernels.description());
            ArrayNode arr = root.putArray("rows");
            for (ListenerBench.Line l : lines) {
                ObjectNode o = arr.addObject();
                o.put("framework", l.framework());
                o.put("configuration", l.config());
                Output.put(o, "medianStepMillis", l.stepMillis());
                Output.put(o, "medianListenerMillis", l.listenerMillis());
                Output.put(o, "ratio", l.ratio());
                Output.put(o, "medianCheckedStepMillis", l.checkedStepMillis());
                Output.put(o, "wallRatio", l.wallRatio());
                Output.put(o, "meanListenerMillis", l.meanListenerMillis());
                Output.put(o, "meanRatio", l.meanRatio());
                if (Double.isFinite(l.checkMillis())) Output.put(o, "medianAsynchronousCheckMillis", l.checkMillis());
                o.put("target", l.target());
                o.put("outcome", ListenerBench.outcome(l.stats()));
            }
            return root;
        }, () -> {
            List<List<String>> table = new ArrayList<>();
            for (ListenerBench.Line l : lines)
                table.add(List.of(l.framework(), l.config(), String.format("%.3f", l.stepMillis()), String.format("%.3f", l.listenerMillis()),
                        String.format("%.4f", l.ratio()), String.format("%+.3f", l.wallRatio()), String.format("%.3f", l.meanListenerMillis()),
                        String.format("%.3f", l.meanRatio()), Double.isFinite(l.checkMillis()) ? String.format("%.3f", l.checkMillis()) : "-",
                        l.target(), ListenerBench.outcome(l.stats())));
            return "bench --listeners: " + model + "; median and mean of " + reps + " interleaved steps after " + warm + " warm-up (the mean "
                    + "with the FULL audits and fallbacks among them"
                    + (lines.stream().anyMatch(l -> Double.isFinite(l.checkMillis())) ? "; the asynchronous rows: of " + reps
                            + " interleaved blocks of " + ListenerBench.BLOCK + " steps, the listener's block timed until its last check ended" : "")
                    + "); FAST loops: "
                    + org.abscert.certifier.training.Kernels.description() + "\n"
                    + Output.table(List.of("framework", "configuration", "step ms", "listener ms", "ratio", "wall", "mean ms", "mean ratio",
                            "async check ms", "target", "verdicts"), table);
        });
        return Main.EXIT_CERTIFIED;
    }

    /** The measurements for people: milliseconds and ratios to three decimals. */
    private static String table(List<Row> rows) {
        List<List<String>> table = new ArrayList<>();
        for (Row r : rows)
            table.add(List.of(r.what(), String.format("%.3f", r.millis()), String.format("%.3f", r.ratio()),
                    r.target(), r.outcome()));
        return Output.table(List.of("measure", "median ms", "ratio", "target", "outcome"), table);
    }

    private static String outcome(Result r) {
        return r == null ? "" : r.verdict() + " (" + r.reason() + ")";
    }

    /** Work whose time is measured; it may throw a backend failure. */
    @FunctionalInterface
    interface Work {
        Object run() throws BackendException;
    }

    /**
     * Median wall time in milliseconds of each piece of work. All pieces are warmed up first, then timed in
     * turn, round after round, so that JIT compilation and changing machine load affect them alike.
     */
    static double[] interleaved(int warm, int reps, List<Work> work) throws BackendException {
        Object sink = null;
        for (int i = 0; i < warm; i++) for (Work w : work) sink = w.run();
        double[][] t = new double[work.size()][reps];
        for (int i = 0; i < reps; i++) {
            for (int k = 0; k < work.size(); k++) {
                long t0 = System.nanoTime();
                sink = work.get(k).run();
                t[k][i] = (System.nanoTime() - t0) / 1e6;
            }
        }
        if (sink == null) throw new IllegalStateException("benchmark work returned nothing");
        double[] median = new double[work.size()];
        for (int k = 0; k < work.size(); k++) {
            Arrays.sort(t[k]);
            median[k] = reps % 2 == 1 ? t[k][reps / 2] : (t[k][reps / 2 - 1] + t[k][reps / 2]) / 2;
        }
        return median;
    }

    /**
     * The benchmark point: rows 0..63 of the digits set (features k/16), one-hot labels, and weights drawn
     * uniformly from a He-sized interval and rounded to multiples of 2⁻²⁰, biases 0. With {@code forced > 0}
     * the biases of the first {@code forced} neurons of layer 1 are set to minus their product with one sample
     * (neuron j with sample j mod 64), so those pre-activations are exactly zero: a product of a 5-bit feature
     * and a 20-bit weight, summed over 64 inputs, fits a double without rounding.
     */
    static Point point(long seed, int forced) {
        Dataset digits = Digits.load();
        int[] rows = new int[BATCH];
        for (int r = 0; r < BATCH; r++) rows[r] = r;
        double[] x = digits.batchFeatures(rows);
        Random rng = new Random(seed);
        double[][] w = new double[WIDTHS.length][];
        double[][] b = new double[WIDTHS.length][];
        for (int l = 1; l < WIDTHS.length; l++) {
            int in = WIDTHS[l - 1];
            double bound = Math.sqrt(6.0 / in);
            w[l] = new double[in * WIDTHS[l]];
            for (int k = 0; k < w[l].length; k++)
                w[l][k] = Math.rint((2 * rng.nextDouble() - 1) * bound * (1 << 20)) / (1 << 20);
            b[l] = new double[WIDTHS[l]];
        }
        int in = WIDTHS[0], width = WIDTHS[1];
        for (int j = 0; j < forced; j++) {
            int r = j % BATCH;
            BigDecimal s = BigDecimal.ZERO;
            for (int i = 0; i < in; i++)
                s = s.add(new BigDecimal(x[r * in + i]).multiply(new BigDecimal(w[1][i * width + j])));
            double neg = -s.doubleValue();
            if (new BigDecimal(neg).negate().compareTo(s) != 0)
                throw new IllegalStateException("forced pre-activation is not exactly representable");
            b[1][j] = neg;
        }
        Map<String, Tensor> params = new LinkedHashMap<>();
        for (int l = 1; l < WIDTHS.length; l++) {
            params.put("W" + l, new Tensor(Shape.of(WIDTHS[l - 1], WIDTHS[l]), w[l]));
            params.put("b" + l, new Tensor(Shape.of(WIDTHS[l]), b[l]));
        }
        Map<String, Tensor> data = new LinkedHashMap<>();
        data.put("X", new Tensor(Shape.of(BATCH, in), x));
        data.put("Y", new Tensor(Shape.of(BATCH, WIDTHS[3]), digits.batchOneHot(rows)));
        return new Point(params, data);
    }
}
