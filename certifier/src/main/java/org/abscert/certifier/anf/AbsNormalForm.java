package org.abscert.certifier.anf;

import java.util.Arrays;
import org.abscert.certifier.exact.LazyExact;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;

/**
 * The abs-normal form of a procedure at a point (THEORY.md §2), held implicitly: the forward sweep, the
 * exact signature σ and the active set α. Z, L, a and b are never formed; {@link Sweeps} applies them.
 *
 * <p>σ is decided per switch: where the double value's rigorous error bound separates it from zero, its
 * sign; otherwise, for a switch that is polynomial in parameters and data, the sign of its exact rational
 * value; otherwise (a smooth elemental before it) the switch is taken as active and counted in
 * {@link #numericalSwitches} — the certificate is then numerical, with the error bound as tolerance.
 */
public final class AbsNormalForm {
    public final Program program;
    public final Forward forward;
    /** Exact signature, in {−1, 0, 1} per switch. */
    public final int[] sigma;
    /**
     * Active switches (σ_i = 0), ascending, without the {@linkplain #constantZeros constant zeros}: a max-pool
     * switch whose window cells up to its step are all locally constant (dead ReLU outputs, data) is zero on a
     * whole neighbourhood, so neither the Clarke set nor any AD result depends on its slope.
     */
    public final int[] active;
    /** Switches with σ_i = 0 left out of {@link #active} because they vanish identically near the point. */
    public final int constantZeros;
    /** Switches whose sign needed exact rational arithmetic. */
    public final int exactlyRecomputed;
    /** Switches taken as active because their bound could not separate them from zero and no exact value exists. */
    public final int numericalSwitches;

    private AbsNormalForm(Program program, Forward forward, int[] sigma, int exactly, int numerical) {
        this.program = program;
        this.forward = forward;
        this.sigma = sigma;
        this.exactlyRecomputed = exactly;
        this.numericalSwitches = numerical;
        int n = 0, constant = 0;
        int[] a = new int[sigma.length];
        for (int i = 0; i < sigma.length; i++) {
            if (sigma[i] != 0) continue;
            if (constantZero(program, sigma, i)) constant++;
            else a[n++] = i;
        }
        this.active = Arrays.copyOf(a, n);
        this.constantZeros = constant;
    }

    /**
     * Whether max-pool switch {@code sw} (m_{k−1} − e_k, zero here) vanishes on a neighbourhood: every cell
     * 0…k of its window is locally constant — a data element, or the output of a ReLU whose argument is
     * strictly negative (σ = −1). Ties among dead cells are then don't-care at no cost.
     */
    private static boolean constantZero(Program p, int[] sigma, int sw) {
        int n = p.switchNode[sw];
        if (p.op[n] != org.abscert.spi.ir.Op.MAX_POOL2D) return false;
        int e = p.switchElement(sw), k = p.poolStep(sw);
        int in = p.args[n][0];
        if (p.deps[in].isEmpty()) return true;
        int src = p.nodeOfSlot(in);
        if (src < 0 || p.op[src] != org.abscert.spi.ir.Op.RELU) return false;
        int[] cells = p.window[n].inside(e % p.window[n].positions());
        int base = p.poolPlaneBase(n, e);
        for (int q = 0; q <= k; q++) if (sigma[p.switchOffset[src] + base + cells[q]] != -1) return false;
        return true;
    }

    /** Evaluates the procedure at the point and decides the signature. */
    public static AbsNormalForm at(Procedure procedure, Point point) {
        Program p = Program.of(procedure);
        Forward f = Forward.run(p, point);
        int[] sigma = new int[p.switchCount];
        LazyExact exact = null;
        int exactly = 0, numerical = 0;
        for (int i = 0; i < sigma.length; i++) {
            double z = f.z[i];
            if (!Double.isFinite(z) || !Double.isFinite(f.zr[i])) {
                // NaN or overflow: nothing exact can be said of this switch (the verdict will be NOT_FINITE)
                sigma[i] = 0;
                numerical++;
            } else if (Math.abs(z) > f.zr[i]) {
                sigma[i] = z > 0 ? 1 : -1;
            } else if (z == 0 && f.zr[i] == 0) {
                // a zero computed without any error (e.g. a tie between two exactly known cells) is exact
                exactly++;
            } else if (p.switchExact(i)) {
                if (exact == null) exact = new LazyExact(p, f.v);
                sigma[i] = exact.sign(i);
                exactly++;
            } else {
                sigma[i] = 0;
                numerical++;
            }
        }
        return new AbsNormalForm(p, f, sigma, exactly, numerical);
    }

    /** Whether σ was decided without tolerance. */
    public boolean exact() { return numericalSwitches == 0; }

    /** Slopes σ off α and {@code fill} on α. */
    public double[] slopes(double fill) {
        double[] t = Sweeps.slopes(sigma, fill);
        // constant zeros are outside α: any slope gives the same sweeps, so they never stay undecided (NaN)
        if (constantZeros > 0 && Double.isNaN(fill)) {
            int k = 0;
            for (int i = 0; i < sigma.length; i++) {
                if (sigma[i] != 0) continue;
                if (k < active.length && active[k] == i) k++;
                else t[i] = 1;
            }
        }
        return t;
    }

    /** g(σ̃) for a full completion (slopes ±1 on α, σ elsewhere). */
    public double[] gradient(double[] t) { return Sweeps.gradient(forward, t); }

    @Override public String toString() {
        return "AbsNormalForm[" + program.switchCount + " switches, active " + Arrays.toString(active) + "]";
    }
}
