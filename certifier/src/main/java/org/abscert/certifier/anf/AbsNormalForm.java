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
    /** Active switches (σ_i = 0), ascending. */
    public final int[] active;
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
        int n = 0;
        for (int s : sigma) if (s == 0) n++;
        int[] a = new int[n];
        n = 0;
        for (int i = 0; i < sigma.length; i++) if (sigma[i] == 0) a[n++] = i;
        this.active = a;
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
            if (Math.abs(z) > f.zr[i]) {
                sigma[i] = z > 0 ? 1 : -1;
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
    public double[] slopes(double fill) { return Sweeps.slopes(sigma, fill); }

    /** g(σ̃) for a full completion (slopes ±1 on α, σ elsewhere). */
    public double[] gradient(double[] t) { return Sweeps.gradient(forward, t); }

    @Override public String toString() {
        return "AbsNormalForm[" + program.switchCount + " switches, active " + Arrays.toString(active) + "]";
    }
}
