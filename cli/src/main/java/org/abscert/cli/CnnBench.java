package org.abscert.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.abscert.certifier.Candidate;
import org.abscert.certifier.Certifier;
import org.abscert.certifier.Result;
import org.abscert.certifier.probe.KinkRuleProbe;
import org.abscert.certifier.probe.ProbeReport;
import org.abscert.spi.Backend;
import org.abscert.spi.BackendException;
import org.abscert.spi.Evaluation;
import org.abscert.spi.Precision;
import org.abscert.spi.data.Dataset;
import org.abscert.spi.data.Digits;
import org.abscert.spi.ir.Cnn;
import org.abscert.spi.ir.Op;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.ir.Tensor;
import org.abscert.spi.ir.TensorDecl;

/**
 * The convolutional rows of {@code abscert bench}: a LeNet-5-style network (conv 6@5×5, relu, max-pool 2, conv
 * 16@5×5, relu, max-pool 2, dense 120 relu, dense 10, softmax cross-entropy) on 28×28 images, batch 32, on the
 * tape in float32.
 *
 * <p>Images are the first 32 digits (8×8, values k/16) scaled ×3 into the middle of a 28×28 field. Weights are
 * multiples of 2⁻⁸, so every conv sum of the first layer is exact in float32. At the <em>smooth</em> point every
 * pixel carries a distinct small offset (multiples of 2⁻¹⁰) and the first conv's biases are nonzero: no switch
 * is at a kink. At the <em>kink</em> point the background is exactly zero and channel 0 of the first conv has
 * bias 0, so its ReLU arguments over the background are exactly zero (kinks, grouped by the bias), and the 2×2
 * pools over them tie among dead cells (zero rows), as on real images with a constant background.
 */
final class CnnBench {
    private CnnBench() {}

    static final int BATCH = 32;

    record Line(String key, String what, double millis, String target, String outcome) {}

    record Measured(String model, int reluKinks, int poolTies, List<Line> lines) {}

    static Procedure procedure() {
        return new Cnn(List.of(1, 28, 28), List.of(new Cnn.Layer("conv", 6, 5, "relu"), new Cnn.Layer("maxpool", 2, 0, null),
                new Cnn.Layer("conv", 16, 5, "relu"), new Cnn.Layer("maxpool", 2, 0, null), new Cnn.Layer("flatten", 0, 0, null),
                new Cnn.Layer("dense", 120, 0, "relu"), new Cnn.Layer("dense", 10, 0, "identity")), false,
                "softmax_cross_entropy", BATCH).expand("bench-lenet");
    }

    static Measured measure(Backend tape, int warm, int reps, long seed) throws BackendException {
        Procedure p = procedure();
        Precision f32 = Precision.FLOAT32;
        Point smooth = point(p, seed, false), kinked = point(p, seed, true);
        ProbeReport probe = KinkRuleProbe.probe(tape, f32);
        Certifier perStep = Certifier.builder().fastPath(true).build();
        Certifier full = Certifier.withDefaults();
        Evaluation atSmooth = tape.evaluate(p, smooth, f32), atKinks = tape.evaluate(p, kinked, f32);
        Candidate smoothCandidate = Candidate.of(atSmooth, probe.rules()), kinkCandidate = Candidate.of(atKinks, probe.rules());
        int[] counts = counts(p, atKinks.switches().values());
        int[] smoothCounts = counts(p, atSmooth.switches().values());
        int dead = org.abscert.certifier.anf.AbsNormalForm.at(p, smooth.rounded(f32)).constantZeros;
        String smoothWhat = smoothCounts[0] + " ReLU kinks, " + smoothCounts[1] + " pooling ties (" + dead + " among dead cells)";
        Result[] last = new Result[3];
        double[] ms = BenchCommand.interleaved(warm, reps, List.of(
                () -> tape.evaluate(p, smooth, f32),
                () -> last[0] = perStep.certify(p, smooth, smoothCandidate),
                () -> last[1] = full.certify(p, kinked, kinkCandidate),
                () -> last[2] = full.certify(p, smooth, smoothCandidate),
                () -> full.repair(p, kinked)));
        List<Line> lines = new ArrayList<>();
        lines.add(new Line("cnnEvaluate", "cnn: tape value+gradient, float32", ms[0], "", ""));
        lines.add(new Line("cnnCertifySmooth", "(d) cnn: certify per step (fast path), " + smoothWhat, ms[1], "<= 0.5", outcome(last[0])));
        lines.add(new Line("cnnCertifySmoothFull", "(d') cnn: certify in full, " + smoothWhat, ms[3], "", outcome(last[2])));
        lines.add(new Line("cnnCertifyKinks", "(e) cnn: certify exactly, " + counts[0] + " ReLU kinks, " + counts[1] + " pooling ties",
                ms[2], "<= 5", outcome(last[1])));
        lines.add(new Line("cnnRepair", "(f) cnn: repair at the kink batch", ms[4], "", ""));
        return new Measured("cnn lenet-5 style 28x28, batch " + BATCH + ", digits scaled x3, seed " + seed, counts[0], counts[1], lines);
    }

    private static String outcome(Result r) {
        return r == null ? "" : r.verdict() + " (" + r.reason() + ")";
    }

    /** Zero switches of ReLU nodes and of max-pool nodes in a trace. */
    static int[] counts(Procedure p, double[] z) {
        int relu = 0, pool = 0;
        for (int i = 0; i < p.nodes().size(); i++) {
            int off = p.switchOffset(i), n = p.switchesOf(i);
            for (int k = 0; k < n; k++) {
                if (z[off + k] != 0) continue;
                if (p.node(i).op() == Op.MAX_POOL2D) pool++;
                else relu++;
            }
        }
        return new int[] {relu, pool};
    }

    static Point point(Procedure p, long seed, boolean kinks) {
        Dataset digits = Digits.load();
        int[] rows = new int[BATCH];
        for (int r = 0; r < BATCH; r++) rows[r] = r;
        double[] small = digits.batchFeatures(rows);
        Random rng = new Random(seed);
        double[] x = new double[BATCH * 28 * 28];
        for (int n = 0; n < BATCH; n++)
            for (int y = 0; y < 28; y++)
                for (int c = 0; c < 28; c++) {
                    int sy = (y - 2) / 3, sc = (c - 2) / 3;
                    double v = y >= 2 && y < 26 && c >= 2 && c < 26 ? small[n * 64 + sy * 8 + sc] : 0;
                    if (!kinks) v += (rng.nextInt(1023) + 1) / 1024.0;
                    x[(n * 28 + y) * 28 + c] = v;
                }
        Map<String, Tensor> params = new LinkedHashMap<>();
        Random wr = new Random(seed * 31 + 7);
        for (TensorDecl d : p.parameters()) {
            Shape s = d.shape();
            double[] v = new double[s.size()];
            boolean bias = s.rank() == 1;
            int fanIn = bias ? 1 : s.size() / s.dim(0);
            if (d.name().startsWith("W")) fanIn = s.dim(0);
            double bound = Math.sqrt(6.0 / fanIn);
            for (int k = 0; k < v.length; k++)
                v[k] = bias ? (wr.nextInt(15) + 1) / 64.0 : Math.rint((2 * wr.nextDouble() - 1) * bound * 256) / 256;
            if (kinks && d.name().equals("c1")) v[0] = 0;
            params.put(d.name(), new Tensor(s, v));
        }
        Map<String, Tensor> data = new LinkedHashMap<>();
        data.put("X", new Tensor(Shape.of(BATCH, 1, 28, 28), x));
        data.put("Y", new Tensor(Shape.of(BATCH, 10), digits.batchOneHot(rows)));
        return new Point(params, data);
    }
}
