package org.abscert.certifier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.abscert.certifier.analysis.StaticAnalysis;
import org.abscert.certifier.analysis.StaticCertificate;
import org.abscert.certifier.anf.Forward;
import org.abscert.certifier.anf.Program;
import org.abscert.certifier.anf.Sweeps;
import org.abscert.certifier.exact.LazyExact;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.Tensor;
import org.abscert.spi.json.ProcedureJson;
import org.apache.commons.math3.fraction.BigFraction;
import org.junit.jupiter.api.Test;

/**
 * The certifier on convolutional procedures, against oracles built here: a conv2d re-expressed as a dense
 * matrix product (the matrix filled from PyTorch's index formula, not from the certifier's window tables), and
 * the Clarke set of max over a 2×2 window enumerated by hand. Pooling ties with a nonzero row are decided per
 * point (THEORY.md §11): a single tie by LIKQ for any abs-consistent rule, dependent rows by enumeration, where a
 * fixed rule can be wrong; ties among cells with zero rows are don't-care.
 */
class ConvolutionalCertifierTest {
    private static final Certifier CERTIFIER = Certifier.withDefaults();

    static Procedure parse(String json) {
        try {
            return ProcedureJson.parse("test.json", json);
        } catch (InvalidInputException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** Dyadic pseudo-random values (multiples of 1/8 in [−2, 2]): exact in every precision, ties kept apart by seed. */
    static double[] dyadic(int n, long seed) {
        Random r = new Random(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = (r.nextInt(33) - 16) / 8.0;
        return v;
    }

    // ------------------------------------------------------------------ conv2d against a dense re-expression

    static final int N = 2, C = 2, H = 5, W = 6, O = 3, KH = 3, KW = 2, SH = 2, SW = 1, PH = 1, PW = 1, DH = 1, DW = 2;
    static final int OH = (H + 2 * PH - DH * (KH - 1) - 1) / SH + 1, OW = (W + 2 * PW - DW * (KW - 1) - 1) / SW + 1;

    /** out = conv(x, k) + b, relu, weighted sum; x is the parameter, k and b data. */
    static String convProcedure() {
        return """
                {"format": "abscert/procedure@1", "name": "conv",
                 "parameters": [{"name": "x", "shape": [%d, %d, %d, %d]}],
                 "data": [{"name": "k", "shape": [%d, %d, %d, %d]}, {"name": "b", "shape": [%d]}, {"name": "w", "shape": [%d, %d, %d, %d]}],
                 "nodes": [{"id": "c", "op": "conv2d", "args": ["x", "k", "b"], "stride": [%d, %d], "padding": [%d, %d], "dilation": [%d, %d]},
                           {"id": "h", "op": "relu", "args": ["c"]},
                           {"id": "hw", "op": "mul", "args": ["h", "w"]},
                           {"id": "y", "op": "sum", "args": ["hw"]}],
                 "output": "y"}""".formatted(N, C, H, W, O, C, KH, KW, O, N, O, OH, OW, SH, SW, PH, PW, DH, DW);
    }

    /** The same function as matmul(A, x_flat) + bias: A [N·O·OH·OW, N·C·H·W] from the cross-correlation formula. */
    static double[] denseMatrix(double[] k) {
        int rows = N * O * OH * OW, cols = N * C * H * W;
        double[] a = new double[rows * cols];
        for (int n = 0; n < N; n++) for (int o = 0; o < O; o++) for (int oy = 0; oy < OH; oy++) for (int ox = 0; ox < OW; ox++) {
            int row = ((n * O + o) * OH + oy) * OW + ox;
            for (int c = 0; c < C; c++) for (int ky = 0; ky < KH; ky++) for (int kx = 0; kx < KW; kx++) {
                int iy = oy * SH - PH + ky * DH, ix = ox * SW - PW + kx * DW;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                a[row * cols + ((n * C + c) * H + iy) * W + ix] += k[((o * C + c) * KH + ky) * KW + kx];
            }
        }
        return a;
    }

    static String denseProcedure() {
        int rows = N * O * OH * OW, cols = N * C * H * W;
        return """
                {"format": "abscert/procedure@1", "name": "dense",
                 "parameters": [{"name": "x", "shape": [%d]}],
                 "data": [{"name": "A", "shape": [%d, %d]}, {"name": "bb", "shape": [%d]}, {"name": "w", "shape": [%d]}],
                 "nodes": [{"id": "ax", "op": "matmul", "args": ["A", "x"]},
                           {"id": "c", "op": "add", "args": ["ax", "bb"]},
                           {"id": "h", "op": "relu", "args": ["c"]},
                           {"id": "hw", "op": "mul", "args": ["h", "w"]},
                           {"id": "y", "op": "sum", "args": ["hw"]}],
                 "output": "y"}""".formatted(cols, rows, cols, rows, rows);
    }

    @Test
    void convolutionAgreesWithItsDenseReExpression() {
        Procedure conv = parse(convProcedure()), dense = parse(denseProcedure());
        double[] x = dyadic(N * C * H * W, 1), k = dyadic(O * C * KH * KW, 2), b = dyadic(O, 3), w = dyadic(N * O * OH * OW, 4);
        // force ReLU kinks: shift the bias of channel 0 so that its first output is exactly zero
        Point pc0 = new Point(Map.of("x", Tensor.of(conv.shape("x"), x)), Map.of("k", Tensor.of(conv.shape("k"), k),
                "b", Tensor.of(conv.shape("b"), b), "w", Tensor.of(conv.shape("w"), w)));
        double first = Forward.run(Program.of(conv), pc0).z[0];
        b[0] -= first;
        double[] bb = new double[N * O * OH * OW];
        for (int e = 0; e < bb.length; e++) bb[e] = b[e / (OH * OW) % O];
        Point pc = new Point(Map.of("x", Tensor.of(conv.shape("x"), x)), Map.of("k", Tensor.of(conv.shape("k"), k),
                "b", Tensor.of(conv.shape("b"), b), "w", Tensor.of(conv.shape("w"), w)));
        Point pd = new Point(Map.of("x", Tensor.of(dense.shape("x"), x)), Map.of("A", Tensor.of(dense.shape("A"), denseMatrix(k)),
                "bb", Tensor.of(dense.shape("bb"), bb), "w", Tensor.of(dense.shape("w"), w)));
        Forward fc = Forward.run(Program.of(conv), pc), fd = Forward.run(Program.of(dense), pd);
        assertArrayEquals(fd.z, fc.z, 1e-12, "switch values");
        assertEquals(0.0, fc.z[0], "the forced kink");
        double[] t = Sweeps.slopes(sign(fc.z), 1);
        assertArrayEquals(Sweeps.gradient(fd, t), Sweeps.gradient(fc, t), 1e-12, "gradient with the same slopes");
        assertArrayEquals(Sweeps.row(fd, t, 5), Sweeps.row(fc, t, 5), 1e-12, "a row of J");
        // verdicts agree, and the exact arithmetic sees the same zero
        double[] g = Sweeps.gradient(fc, Sweeps.slopes(sign(fc.z), -1));
        Result rc = CERTIFIER.certify(conv, pc, Candidate.given(g)), rd = CERTIFIER.certify(dense, pd, Candidate.given(g));
        assertEquals(rd.verdict(), rc.verdict(), Fixtures.show(rc));
        assertEquals(Verdict.CERTIFIED, rc.verdict(), Fixtures.show(rc));
        assertEquals(0, new LazyExact(Program.of(conv), fc.v).sign(0));
    }

    static int[] sign(double[] z) {
        int[] s = new int[z.length];
        for (int i = 0; i < z.length; i++) s[i] = (int) Math.signum(z[i]);
        return s;
    }

    @Test
    void errorBoundsCoverTheExactSwitchValues() {
        Procedure conv = parse(convProcedure().replace("\"relu\"", "\"abs\""));
        Random r = new Random(7);
        double[] x = new double[N * C * H * W], k = new double[O * C * KH * KW];
        for (int i = 0; i < x.length; i++) x[i] = r.nextGaussian();
        for (int i = 0; i < k.length; i++) k[i] = r.nextGaussian() / 3;
        Point pc = new Point(Map.of("x", Tensor.of(conv.shape("x"), x)), Map.of("k", Tensor.of(conv.shape("k"), k),
                "b", Tensor.of(conv.shape("b"), dyadic(O, 3)), "w", Tensor.of(conv.shape("w"), dyadic(N * O * OH * OW, 4))));
        Forward f = Forward.run(Program.of(conv), pc);
        LazyExact exact = new LazyExact(Program.of(conv), f.v);
        for (int sw = 0; sw < f.z.length; sw += 7) {
            BigFraction err = exact.value(sw).subtract(new BigFraction(f.z[sw])).abs();
            assertTrue(err.doubleValue() <= f.zr[sw], "switch " + sw + ": error " + err.doubleValue() + " > bound " + f.zr[sw]);
            assertTrue(f.zr[sw] < 1e-12, "the bound is tight enough to decide signs");
        }
    }

    // ------------------------------------------------------------------ max pooling ties

    /** y = Σ_j w_j · max_pool2d(x)_j for x [1,1,h,w] (parameter). */
    static Procedure pool(int h, int w, String attrs, int outputs) {
        return parse("""
                {"format": "abscert/procedure@1", "name": "pool",
                 "parameters": [{"name": "x", "shape": [1, 1, %d, %d]}],
                 "data": [{"name": "w", "shape": [%d]}],
                 "nodes": [{"id": "p", "op": "max_pool2d", "args": ["x"], %s},
                           {"id": "f", "op": "flatten", "args": ["p"]},
                           {"id": "fw", "op": "mul", "args": ["f", "w"]},
                           {"id": "y", "op": "sum", "args": ["fw"]}],
                 "output": "y"}""".formatted(h, w, outputs, attrs));
    }

    static Point at(Procedure p, double[] x, double[] w) {
        return new Point(Map.of("x", Tensor.of(p.shape("x"), x)), Map.of("w", Tensor.of(p.shape("w"), w)));
    }

    @Test
    void fourWayTieIn2x2WindowHasTheSimplexAsClarkeSet() {
        Procedure p = pool(2, 2, "\"kernel\": 2", 1);
        Point pt = at(p, new double[] {1, 1, 1, 1}, new double[] {1});
        ClarkeSet cs = CERTIFIER.clarke(p, pt);
        // oracle: max(x1..x4) at a 4-way tie has limiting gradients e1…e4 (each cell wins on an open cone)
        List<double[]> lg = new ArrayList<>(cs.limitingGradients());
        lg.sort(Comparator.comparing(Arrays::toString));
        assertEquals(4, lg.size(), "limiting gradients " + lg.stream().map(Arrays::toString).toList());
        assertTrue(cs.complete());
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            double[] e = new double[4];
            e[i] = 1;
            expected.add(Arrays.toString(e));
        }
        assertEquals(expected.stream().sorted().toList(), lg.stream().map(Arrays::toString).toList());
        // any abs-consistent rule: LIKQ (three independent rows); the all-cells rule is refuted
        Result first = CERTIFIER.certify(p, pt, Fixtures.traced(new double[] {1, 0, 0, 0}, new double[] {0, 0, 0}, new double[] {1, 1, 1}));
        Result even = CERTIFIER.certify(p, pt, Fixtures.traced(new double[] {.25, .25, .25, .25}, new double[] {0, 0, 0},
                new double[] {0, 1 / 3.0, 0.5}));
        Result all = CERTIFIER.certify(p, pt, Candidate.given(new double[] {1, 1, 1, 1}));
        assertEquals(Verdict.CERTIFIED, first.verdict(), Fixtures.show(first));
        assertEquals(Reason.LIKQ, first.reason(), Fixtures.show(first));
        assertEquals(Verdict.CERTIFIED, even.verdict(), Fixtures.show(even));
        assertEquals(Verdict.REFUTED, all.verdict(), Fixtures.show(all));
    }

    /** The README example: pools of [x,0], [0,x] and [x,x] weighted 1, −1, 1, so f(x) = x. */
    static Procedure dependentTies() {
        return parse("""
                {"format": "abscert/procedure@1", "name": "pooling-tie",
                 "parameters": [{"name": "x", "shape": [1, 1, 1, 1]}],
                 "data": [{"name": "M", "shape": [1, 1, 3, 2]}, {"name": "w", "shape": [1, 1, 3, 1]}],
                 "nodes": [{"id": "img", "op": "mul", "args": ["x", "M"]},
                           {"id": "pool", "op": "max_pool2d", "args": ["img"], "kernel": [1, 2]},
                           {"id": "wp", "op": "mul", "args": ["pool", "w"]},
                           {"id": "y", "op": "sum", "args": ["wp"]}],
                 "output": "y"}""");
    }

    @Test
    void dependentPoolingTiesAreDecidedByEnumerationAndTheRuleMatters() {
        Procedure p = dependentTies();
        Point pt = new Point(Map.of("x", Tensor.of(p.shape("x"), 0.0)),
                Map.of("M", Tensor.of(p.shape("M"), 1, 0, 0, 1, 1, 1), "w", Tensor.of(p.shape("w"), 1, -1, 1)));
        // rows: x − 0, 0 − x (dependent) and x − x ≡ 0 (a zero row): ∂f = {1}
        ClarkeSet cs = CERTIFIER.clarke(p, pt);
        for (double[] g : cs.limitingGradients()) assertArrayEquals(new double[] {1}, g, 1e-12);
        // first cell: 1 − 0 + 1 = 2; even split: ½ − (−½)·(−1)… = ½ − ½ + 1 = 1; all cells: 1 − 1 + 2 = 2
        Result first = CERTIFIER.certify(p, pt, Fixtures.traced(new double[] {2}, new double[] {0, 0, 0}, new double[] {1, 1, 1}));
        Result even = CERTIFIER.certify(p, pt, Fixtures.traced(new double[] {1}, new double[] {0, 0, 0}, new double[] {0, 0, 0}));
        Result all = CERTIFIER.certify(p, pt, Candidate.given(new double[] {2}));
        assertEquals(Verdict.REFUTED, first.verdict(), Fixtures.show(first));
        assertEquals(Verdict.CERTIFIED, even.verdict(), Fixtures.show(even));
        assertEquals(Verdict.REFUTED, all.verdict(), Fixtures.show(all));
    }

    @Test
    void tiesAmongDeadReluCellsAreDontCare() {
        // conv with a very negative bias kills every cell of the 2×2 windows: every pooling switch is a tie 0 − 0
        // with a zero row, so any rule — also the all-cells rule — gives the one Clarke gradient
        Procedure p = parse("""
                {"format": "abscert/procedure@1", "name": "dead",
                 "parameters": [{"name": "k", "shape": [2, 1, 2, 2]}, {"name": "b", "shape": [2]}],
                 "data": [{"name": "X", "shape": [1, 1, 5, 5]}],
                 "nodes": [{"id": "c", "op": "conv2d", "args": ["X", "k", "b"]},
                           {"id": "h", "op": "relu", "args": ["c"]},
                           {"id": "p", "op": "max_pool2d", "args": ["h"], "kernel": 2},
                           {"id": "y", "op": "sum", "args": ["p"]}],
                 "output": "y"}""");
        double[] xs = new double[25];
        for (int i = 0; i < 25; i++) xs[i] = (i % 7) / 4.0;
        Point pt = new Point(Map.of("k", Tensor.of(p.shape("k"), 0.5, -0.25, 0.25, 0.5, -0.5, 0.25, 0.125, 0.25),
                "b", Tensor.of(p.shape("b"), -64, -64)), Map.of("X", Tensor.of(p.shape("X"), xs)));
        Forward f = Forward.run(Program.of(p), pt);
        int poolTies = 0;
        for (int sw = 2 * 16; sw < f.z.length; sw++) if (f.z[sw] == 0) poolTies++;
        assertEquals(2 * 4 * 3, poolTies, "every pooling switch is a tie");
        double[] zero = new double[p.parameterSize()];
        Result r = CERTIFIER.certify(p, pt, Candidate.given(zero));
        assertEquals(Verdict.CERTIFIED, r.verdict(), Fixtures.show(r));
        ClarkeSet cs = CERTIFIER.clarke(p, pt);
        assertTrue(cs.complete());
        assertEquals(1, cs.limitingGradients().size());
    }

    @Test
    void singleTieWithNonzeroRowIsLikqForAnyAbsConsistentRule() {
        Procedure p = pool(2, 4, "\"kernel\": 2", 2);
        // window 1 ties cells 0 and 1 (values 3, 3), window 2 has a strict maximum
        double[] x = {3, 3, 1, 2, 0, 1, 5, 0};
        Point pt = at(p, x, new double[] {1, 2});
        for (double c : new double[] {-1, -0.5, 0, 0.5, 1}) {
            double[] g = new double[8];
            g[0] = (1 + c) / 2;
            g[1] = (1 - c) / 2;
            g[6] = 2;
            double[] z = Forward.run(Program.of(p), pt).z.clone();
            double[] slopes = new double[z.length];
            Arrays.fill(slopes, Double.NaN);
            slopes[0] = c;
            Result r = CERTIFIER.certify(p, pt, Fixtures.traced(g, z, slopes));
            assertEquals(Verdict.CERTIFIED, r.verdict(), "c = " + c + ": " + Fixtures.show(r));
            assertEquals(Reason.LIKQ, r.reason(), "c = " + c + ": " + Fixtures.show(r));
        }
    }

    @Test
    void repairAtPoolingTiesGivesALimitingGradient() {
        Procedure p = dependentTies();
        Point pt = new Point(Map.of("x", Tensor.of(p.shape("x"), 0.0)),
                Map.of("M", Tensor.of(p.shape("M"), 1, 0, 0, 1, 1, 1), "w", Tensor.of(p.shape("w"), 1, -1, 1)));
        assertArrayEquals(new double[] {1}, CERTIFIER.repair(p, pt), 1e-12);
    }

    // ------------------------------------------------------------------ static analysis

    static final String LENET = """
            {"format": "abscert/procedure@1", "name": "lenet",
             "cnn": {"input": [1, 12, 12], "layers": [["conv", 2, 3, "relu"], %s ["conv", 3, 3, "relu"], ["flatten"],
                     ["dense", 4, "relu"], ["dense", 3, "identity"]], "batchNorm": %s, "loss": "softmax_cross_entropy", "batch": 4}}""";

    @Test
    void staticAnalysisOfConvolutionalNetworks() {
        StaticCertificate plain = StaticAnalysis.analyze(parse(LENET.formatted("", "false")));
        assertTrue(plain.groupedAtEveryPoint(), String.join("\n", plain.findings()));
        assertTrue(plain.findings().stream().anyMatch(s -> s.contains("private parameter 'c1'")), String.join("\n", plain.findings()));
        StaticCertificate bn = StaticAnalysis.analyze(parse(LENET.formatted("", "true")));
        assertTrue(bn.groupedAtEveryPoint(), String.join("\n", bn.findings()));
        assertTrue(bn.findings().stream().anyMatch(s -> s.contains("private parameter 'beta1'")), String.join("\n", bn.findings()));
        StaticCertificate pooled = StaticAnalysis.analyze(parse(LENET.formatted("[\"maxpool\", 2],", "false")));
        assertFalse(pooled.groupedAtEveryPoint());
        assertFalse(pooled.likqAtEveryPoint());
        assertTrue(pooled.findings().stream().anyMatch(s -> s.contains("max_pool2d") && s.contains("a shared bias cancels")),
                String.join("\n", pooled.findings()));
        assertTrue(pooled.findings().stream().anyMatch(s -> s.startsWith("C2 holds at every point without a pooling tie")),
                String.join("\n", pooled.findings()));
    }

    @Test
    void aBiasBeforeBatchNormIsNotPrivate() {
        Procedure p = parse("""
                {"format": "abscert/procedure@1", "name": "bias-bn",
                 "parameters": [{"name": "k", "shape": [2, 1, 2, 2]}, {"name": "b", "shape": [2]}, {"name": "g", "shape": [2]}],
                 "data": [{"name": "X", "shape": [3, 1, 4, 4]}, {"name": "beta", "shape": [2]}],
                 "nodes": [{"id": "c", "op": "conv2d", "args": ["X", "k", "b"]},
                           {"id": "n", "op": "batch_norm", "args": ["c", "g", "beta"]},
                           {"id": "h", "op": "relu", "args": ["n"]},
                           {"id": "y", "op": "sum", "args": ["h"]}],
                 "output": "y"}""");
        StaticCertificate s = StaticAnalysis.analyze(p);
        assertFalse(s.groupedAtEveryPoint(), String.join("\n", s.findings()));
        // batch norm is smooth: its switches are not exact
        assertFalse(Program.of(p).switchExact(0));
    }
}
