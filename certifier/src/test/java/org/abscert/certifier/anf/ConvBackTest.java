package org.abscert.certifier.anf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.json.ProcedureJson;
import org.junit.jupiter.api.Test;

/**
 * conv2d's reverse step ({@link CnnOps#convBack}) against this test's own reverse of the cross-correlation formula
 * (indices from the stride, padding and dilation, not from the window tables), on random geometries with groups, in
 * signed and abs mode, with exact zeros in the input and the adjoint (the skips) and magnitudes from 2⁻⁶⁰ to 2⁶⁰;
 * and with a value that is not finite, where every 0·∞ term must still give NaN as the direct sums do.
 */
class ConvBackTest {

    record Geometry(int n, int c, int h, int w, int o, int groups, int kh, int kw, int[] stride, int[] pad, int[] dil) {
        int oh() { return (h + 2 * pad[0] - dil[0] * (kh - 1) - 1) / stride[0] + 1; }

        int ow() { return (w + 2 * pad[1] - dil[1] * (kw - 1) - 1) / stride[1] + 1; }

        @Override
        public String toString() {
            return String.format("x [%d, %d, %d, %d], %d outputs in %d groups, kernel %dx%d, stride %s, padding %s, dilation %s", n, c, h, w,
                    o, groups, kh, kw, java.util.Arrays.toString(stride), java.util.Arrays.toString(pad), java.util.Arrays.toString(dil));
        }

        Procedure procedure() {
            String json = """
                    {"format": "abscert/procedure@1", "name": "conv",
                     "parameters": [{"name": "x", "shape": [%d, %d, %d, %d]}, {"name": "k", "shape": [%d, %d, %d, %d]}, {"name": "b", "shape": [%d]}],
                     "data": [],
                     "nodes": [{"id": "z", "op": "conv2d", "args": ["x", "k", "b"], "stride": [%d, %d], "padding": [%d, %d], "dilation": [%d, %d], "groups": %d},
                               {"id": "y", "op": "sum", "args": ["z"]}],
                     "output": "y"}""".formatted(n, c, h, w, o, c / groups, kh, kw, o, stride[0], stride[1], pad[0], pad[1],
                    dil[0], dil[1], groups);
            try {
                return ProcedureJson.parse("conv.json", json);
            } catch (InvalidInputException e) {
                throw new IllegalArgumentException(e.getMessage(), e);
            }
        }

        /** The reverse of z[n,o,y,x] = Σ_{ci,ky,kx} x[n, g·cg+ci, y·s−p+ky·d, x·s−p+kx·d]·k[o,ci,ky,kx] + b[o]. */
        void reference(double[] x, double[] k, double[] g, double[] gx, double[] gk, double[] gb, boolean abs) {
            int cg = c / groups, pg = o / groups;
            for (int b = 0; b < n; b++)
                for (int oc = 0; oc < o; oc++)
                    for (int y = 0; y < oh(); y++)
                        for (int xo = 0; xo < ow(); xo++) {
                            double d = g[((b * o + oc) * oh() + y) * ow() + xo];
                            if (d == 0) continue;
                            gb[oc] += d;
                            for (int ci = 0; ci < cg; ci++)
                                for (int ky = 0; ky < kh; ky++)
                                    for (int kx = 0; kx < kw; kx++) {
                                        int iy = y * stride[0] - pad[0] + ky * dil[0], ix = xo * stride[1] - pad[1] + kx * dil[1];
                                        if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                                        int xi = ((b * c + oc / pg * cg + ci) * h + iy) * w + ix, ki = ((oc * cg + ci) * kh + ky) * kw + kx;
                                        gx[xi] += d * (abs ? Math.abs(k[ki]) : k[ki]);
                                        gk[ki] += d * (abs ? Math.abs(x[xi]) : x[xi]);
                                    }
                        }
        }
    }

    static Geometry random(Random r) {
        int groups = 1 + r.nextInt(3);
        int[] stride = {1 + r.nextInt(2), 1 + r.nextInt(2)}, pad = {r.nextInt(3), r.nextInt(2)}, dil = {1 + r.nextInt(2), 1};
        int kh = 1 + r.nextInt(3), kw = 1 + r.nextInt(4);
        int h = dil[0] * (kh - 1) + 1 + r.nextInt(6), w = dil[1] * (kw - 1) + 1 + r.nextInt(7);
        return new Geometry(1 + r.nextInt(3), groups * (1 + r.nextInt(3)), h, w, groups * (1 + r.nextInt(4)), groups, kh, kw, stride, pad, dil);
    }

    static double[] values(Random r, int n, double zeros, boolean wide) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++)
            v[i] = r.nextDouble() < zeros ? 0 : r.nextGaussian() * (wide ? Math.scalb(1.0, r.nextInt(121) - 60) : 1);
        return v;
    }

    @Test
    void theReverseStepGivesTheSumsOfTheCrossCorrelationFormula() {
        Random r = new Random(7);
        for (int trial = 0; trial < 400; trial++) {
            Geometry geo = random(r);
            Program p = Program.of(geo.procedure());
            int node = 0, xs = p.size[0], ks = p.size[1], bs = p.size[2], zs = p.size[p.slotOfNode(0)];
            assertEquals(geo.n() * geo.o() * geo.oh() * geo.ow(), zs, "output size");
            boolean abs = r.nextBoolean(), wide = trial % 3 == 0;
            double[] x = values(r, xs, 0.3, wide), k = values(r, ks, 0.1, wide), g = values(r, zs, 0.3, wide);
            double[] gx = new double[xs], gk = new double[ks], gb = new double[bs];
            double[] rx = new double[xs], rk = new double[ks], rb = new double[bs];
            CnnOps.convBack(p, node, x, k, g, gx, gk, gb, abs);
            geo.reference(x, k, g, rx, rk, rb, abs);
            // the same sums in another order: each within γ_m of the exact sum, m ≤ |z|·taps terms per entry, so the
            // two within 2·γ_m of each other, in units of the entry's sum of |terms|
            double[] sx = new double[xs], sk = new double[ks], sb = new double[bs];
            double[] ax = x.clone(), ak = k.clone(), ag = g.clone();
            for (double[] a : new double[][] {ax, ak, ag}) for (int i = 0; i < a.length; i++) a[i] = Math.abs(a[i]);
            geo.reference(ax, ak, ag, sx, sk, sb, true);
            String at = "trial " + trial + " " + geo + " abs " + abs;
            double tol = 2.2 * zs * geo.kh() * geo.kw() * 0x1p-53;
            close(rx, gx, sx, tol, at + " input");
            close(rk, gk, sk, tol, at + " weights");
            assertArrayEquals(rb, gb, at + " bias");
        }
    }

    static void close(double[] want, double[] got, double[] scale, double tol, String at) {
        for (int i = 0; i < want.length; i++)
            assertTrue(Math.abs(want[i] - got[i]) <= tol * scale[i], at + " [" + i + "]: " + got[i] + " instead of " + want[i]);
    }

    /** Not finite: the direct sums, bit for bit, 0·∞ giving NaN where the formula has it. */
    @Test
    void aValueThatIsNotFiniteGivesTheDirectSums() {
        Random r = new Random(8);
        int nan = 0;
        for (int trial = 0; trial < 100; trial++) {
            Geometry geo = random(r);
            Program p = Program.of(geo.procedure());
            int xs = p.size[0], ks = p.size[1], bs = p.size[2], zs = p.size[p.slotOfNode(0)];
            double[] x = values(r, xs, 0.3, false), k = values(r, ks, 0.3, false), g = values(r, zs, 0.3, false);
            double[][] all = {x, k, g};
            double[] where = all[trial % 3];
            where[r.nextInt(where.length)] = trial % 2 == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
            double[] gx = new double[xs], gk = new double[ks], gb = new double[bs], rx = new double[xs], rk = new double[ks], rb = new double[bs];
            CnnOps.convBack(p, 0, x, k, g, gx, gk, gb, trial % 4 < 2);
            geo.reference(x, k, g, rx, rk, rb, trial % 4 < 2);
            String at = "trial " + trial + " " + geo;
            assertArrayEquals(rx, gx, at + " input");
            assertArrayEquals(rk, gk, at + " weights");
            assertArrayEquals(rb, gb, at + " bias");
            for (double v : gx) if (Double.isNaN(v)) nan++;
        }
        assertTrue(nan > 0, "some 0·∞ or NaN term reached the input's adjoint");
    }
}
