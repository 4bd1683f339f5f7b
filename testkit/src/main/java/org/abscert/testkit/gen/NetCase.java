package org.abscert.testkit.gen;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.abscert.spi.ir.Op;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.json.PointJson;
import org.abscert.spi.json.ProcedureJson;

/**
 * A generated net at a generated point. {@link #toString()} is the procedure and point as JSON, so a shrunk
 * counterexample can be saved to files and replayed with {@code abscert certify}.
 *
 * @param architecture   the net's shape
 * @param procedure      the procedure (the {@code mlp} shorthand expanded)
 * @param point          dyadic parameters and data
 * @param notes          what the generator did to the batch and which kinks it forced
 * @param activeSwitches switches that are zero at the point, counted on the generator's forward model in double:
 *                       exactly the zero switches unless the space has smooth layers
 * @param activeOps      the kink ops owning those switches
 * @param exactInFloat32 whether float32 arithmetic computes every switch exactly
 */
public record NetCase(Architecture architecture, Procedure procedure, Point point, List<String> notes,
                      int activeSwitches, Set<Op> activeOps, boolean exactInFloat32) {

    public NetCase {
        notes = List.copyOf(notes);
        activeOps = Set.copyOf(activeOps);
    }

    static NetCase build(Architecture arch, Procedure procedure, List<Double> parameters, List<Double> inputs,
                         List<Double> targets, List<KinkSite> sites, BatchPlan plan, boolean smooth, List<KinkSite> rounding) {
        NetValues v = new NetValues(arch, procedure, parameters, inputs, targets);
        List<String> notes = new ArrayList<>();
        applyBatchPlan(v, plan, notes);
        if (smooth && arch.bias()) keepOffKinks(v, notes);
        java.util.Set<Integer> reserved = roundingMadeZeros(v, rounding, notes);
        force(v, sites, notes, reserved);
        Set<Op> ops = EnumSet.noneOf(Op.class);
        return new NetCase(arch, procedure, v.point(), notes, countActive(v, ops), ops, v.exactInFloat32());
    }

    private static void applyBatchPlan(NetValues v, BatchPlan plan, List<String> notes) {
        int n = v.arch.batch(), in = v.arch.input(), out = v.arch.output();
        if (n >= 2) {
            for (BatchPlan.Duplicate d : plan.duplicates()) {
                int s = Math.floorMod(d.source(), n);
                int t = Math.floorMod(d.target(), n);
                if (t == s) t = (s + 1) % n;
                System.arraycopy(v.x, s * in, v.x, t * in, in);
                if (d.oppositeTarget()) {
                    if (v.arch.loss().oneHot()) {
                        for (int j = 0; j < out; j++) v.y[t * out + (j + 1) % out] = v.y[s * out + j];
                    } else {
                        for (int j = 0; j < out; j++) v.y[t * out + j] = -v.y[s * out + j];
                    }
                    notes.add("row " + t + " duplicates row " + s + " with the opposite target");
                } else {
                    System.arraycopy(v.y, s * out, v.y, t * out, out);
                    notes.add("row " + t + " duplicates row " + s);
                }
            }
        }
        if (n >= 3) {
            for (BatchPlan.AffineRow r : plan.affine()) {
                int a = Math.floorMod(r.a(), n);
                int b = Math.floorMod(r.b(), n);
                int t = Math.floorMod(r.target(), n);
                if (b == a) b = (a + 1) % n;
                while (t == a || t == b) t = (t + 1) % n;
                for (int i = 0; i < in; i++) {
                    double xa = v.x[a * in + i], xb = v.x[b * in + i];
                    v.x[t * in + i] = r.midpoint() ? (xa + xb) / 2 : 2 * xa - xb;
                }
                notes.add("row " + t + " = " + (r.midpoint() ? "(row " + a + " + row " + b + ")/2"
                        : "2·row " + a + " − row " + b));
            }
        }
    }

    /** Forces the sites in layer order, so that forcing a deeper layer sees the shallower ones already forced. */
    /**
     * First-layer units whose pre-activation at one row is x_ki·2⁻²⁶, not 0 ({@link NetSpace#withRoundingMadeZeros});
     * returns the units so taken, which forced kinks then leave alone.
     */
    private static java.util.Set<Integer> roundingMadeZeros(NetValues v, List<KinkSite> sites, List<String> notes) {
        java.util.Set<Integer> units = new java.util.TreeSet<>();
        Architecture arch = v.arch;
        Activation act = arch.hidden().get(0).activation();
        if (!arch.bias() || act.smooth() || act == Activation.MAX_OF_TWO) return units;
        int in = arch.input(), width = arch.widths()[1];
        double[] w = v.parameters.get("W1"), b = v.parameters.get("b1");
        for (KinkSite site : sites) {
            int j = Math.floorMod(site.unit(), width), k = Math.floorMod(site.sample(), arch.batch());
            int i = 0;
            while (i < in && v.x[k * in + i] == 0) i++;
            if (i == in || !units.add(j)) continue;
            w[i * width + j] = 0x1p-26;
            double rest = 0;
            for (int t = 0; t < in; t++) if (t != i) rest += v.x[k * in + t] * w[t * width + j];
            double target = act == Activation.HARDTANH ? (site.upper() ? 1 : -1) : 0;
            b[j] = target - rest;
            notes.add("layer 1 unit " + j + ": z = " + (act == Activation.HARDTANH ? (int) target + " + " : "") + v.x[k * in + i]
                    + "·2^-26 at row " + k + ", not a kink, but float32 sums may round it to one");
        }
        return units;
    }

    private static void force(NetValues v, List<KinkSite> sites, List<String> notes, java.util.Set<Integer> reserved) {
        Architecture arch = v.arch;
        int layers = arch.hidden().size() + 1;
        List<KinkSite> ordered = new ArrayList<>(sites);
        ordered.sort(Comparator.comparingInt(s -> Math.floorMod(s.layer(), layers)));
        int[] widths = arch.widths();
        for (KinkSite site : ordered) {
            int l = Math.floorMod(site.layer(), layers);
            int width = widths[l + 1];
            int j = Math.floorMod(site.unit(), width);
            int k = Math.floorMod(site.sample(), arch.batch());
            int idx = k * width + j;
            List<NetValues.Layer> fwd = v.forward();
            if (l == arch.hidden().size()) {
                if (arch.loss() != Loss.L1) continue;
                v.y[idx] = fwd.get(l).out()[idx];
                notes.add("L1 residual of output " + j + ", row " + k + " forced to 0");
                continue;
            }
            Activation act = arch.hidden().get(l).activation();
            // a smooth layer has no kink to force; a unit taken for a rounding-made zero keeps it
            if (act.smooth() || (l == 0 && reserved.contains(j))) continue;
            String layer = "layer " + (l + 1);
            if (arch.bias()) {
                NetValues.Layer z = fwd.get(l);
                switch (act) {
                    case MAX_OF_TWO -> {
                        v.parameters.get("b" + (l + 1) + "b")[j] += z.a()[idx] - z.b()[idx];
                        notes.add(layer + " unit " + j + ": tie of max at row " + k);
                    }
                    case HARDTANH -> {
                        double target = site.upper() ? 1 : -1;
                        v.parameters.get("b" + (l + 1))[j] += target - z.a()[idx];
                        notes.add(layer + " unit " + j + ": z = " + (int) target + " at row " + k);
                    }
                    default -> {
                        v.parameters.get("b" + (l + 1))[j] -= z.a()[idx];
                        notes.add(layer + " unit " + j + ": z = 0 at row " + k);
                    }
                }
            } else if (l == 0) {
                java.util.Arrays.fill(v.x, k * arch.input(), (k + 1) * arch.input(), 0.0);
                notes.add("row " + k + " of X is zero");
            } else {
                for (String suffix : act == Activation.MAX_OF_TWO ? List.of("a", "b") : List.of("")) {
                    double[] w = v.parameters.get("W" + (l + 1) + suffix);
                    for (int i = 0; i < widths[l]; i++) w[i * width + j] = 0;
                }
                notes.add(layer + " unit " + j + ": incoming weights zero");
            }
        }
    }

    /**
     * Adds to every bias (of a max-of-two layer: to the {@code a} bias) one binary digit finer than any term
     * of its pre-activation, layer by layer; every switch then has that digit set and cannot be 0 or ±1.
     */
    private static void keepOffKinks(NetValues v, List<String> notes) {
        Architecture arch = v.arch;
        double[] h = v.x;
        for (int l = 1; l <= arch.hidden().size() + 1; l++) {
            boolean max = l <= arch.hidden().size() && arch.hidden().get(l - 1).activation() == Activation.MAX_OF_TWO;
            String suffix = max ? "a" : "";
            int bits = NetValues.fractionBits(h) + NetValues.fractionBits(v.parameters.get("W" + l + suffix));
            if (max) bits = Math.max(bits, NetValues.fractionBits(h) + NetValues.fractionBits(v.parameters.get("W" + l + "b")));
            double[] b = v.parameters.get("b" + l + suffix);
            bits = Math.max(bits, NetValues.fractionBits(b)) + 1;
            if (max) bits = Math.max(bits, NetValues.fractionBits(v.parameters.get("b" + l + "b")) + 1);
            for (int j = 0; j < b.length; j++) b[j] += Math.scalb(1.0, -bits);
            h = v.forward().get(l - 1).out();
        }
        notes.add("biases offset by a fine binary digit: no switch is at a kink");
    }

    private static int countActive(NetValues v, Set<Op> ops) {
        Architecture arch = v.arch;
        List<NetValues.Layer> fwd = v.forward();
        int active = 0;
        for (int l = 0; l < arch.hidden().size(); l++) {
            NetValues.Layer z = fwd.get(l);
            Activation act = arch.hidden().get(l).activation();
            for (int i = 0; i < z.a().length; i++) {
                int n = switch (act) {
                    case MAX_OF_TWO -> z.a()[i] == z.b()[i] ? 1 : 0;
                    case HARDTANH -> Math.abs(z.a()[i]) == 1 ? 1 : 0;
                    case RELU_DIFFERENCE -> z.a()[i] == 0 ? 2 : 0;
                    case TANH, SIGMOID, SOFTPLUS -> 0;
                    default -> z.a()[i] == 0 ? 1 : 0;
                };
                if (n > 0) ops.addAll(act.ops().stream().filter(Op::isKink).toList());
                active += n;
            }
        }
        if (arch.loss() == Loss.L1) {
            double[] out = fwd.get(fwd.size() - 1).out();
            for (int i = 0; i < out.length; i++) {
                if (out[i] == v.y[i]) {
                    active++;
                    ops.add(Op.ABS);
                }
            }
        }
        return active;
    }

    /** The parameters flattened in procedure order. */
    public double[] flatParameters() { return point.flatParameters(procedure); }

    /** The procedure file, as {@link ProcedureJson#write} prints it. */
    public String procedureJson() { return ProcedureJson.write(procedure); }

    /** The point file, as {@link PointJson#write} prints it. */
    public String pointJson() { return PointJson.write(procedure, point); }

    @Override public String toString() {
        return "NetCase " + procedure.name() + " (" + activeSwitches + " active switches" + (notes.isEmpty() ? "" : "; "
                + String.join("; ", notes)) + ")\nprocedure:\n" + procedureJson() + "\npoint:\n" + pointJson();
    }
}
