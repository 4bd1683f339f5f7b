package org.abscert.certifier.exact;

import java.util.function.ToIntFunction;
import org.abscert.certifier.anf.Program;
import org.apache.commons.math3.fraction.BigFraction;

/**
 * Exact values of single switches, computed on demand: only the elements a switch depends on are
 * evaluated (one row of a product, not the whole product), and every element is memoized. Used for the few
 * switches whose floating-point error bound cannot separate them from zero (THEORY.md §8). Values are plain
 * doubles while every operation is provably exact ({@link ExactDouble}), then exact dyadics ({@code m·2^e}),
 * then rationals ({@code BigFraction}) once a mean divides by a count that is not a power of two.
 */
public final class LazyExact {
    private final Program p;
    private final double[][] inputs;
    private Engine<?> engine;

    /** @param v values per slot; only parameter and data slots are read */
    public LazyExact(Program p, double[][] v) {
        this.p = p;
        this.inputs = v;
        this.engine = new Engine<>(ExactDouble.FIELD, d -> (int) Math.signum(d));
    }

    /** Exact sign of a switch; the switch must be {@linkplain Program#switchExact exact}. */
    public int sign(int sw) {
        // each failure moves to a wider field for good; ℚ never fails, so this ends after three tries at most
        while (true) {
            try {
                return engine.sign(sw);
            } catch (ExactDouble.Inexact e) {
                engine = new Engine<>(Dyadic.FIELD, Dyadic.Value::signum);
            } catch (Dyadic.NotDyadic e) {
                engine = rational();
            }
        }
    }

    /** The exact rational value of a switch (evaluated afresh in ℚ; for checks, not for speed). */
    public BigFraction value(int sw) {
        return rational().switchValue(sw);
    }

    private Engine<BigFraction> rational() {
        return new Engine<>(Field.RATIONAL, q -> q.getNumerator().signum());
    }

    private final class Engine<T> extends ExactEvaluator<T> {
        private final ToIntFunction<T> signum;

        Engine(Field<T> f, ToIntFunction<T> signum) {
            super(LazyExact.this.p, f, inputs);
            this.signum = signum;
        }

        int sign(int sw) { return signum.applyAsInt(switchValue(sw)); }


        private int cmp(T a, T b) { return signum.applyAsInt(f.sub(a, b)); }

        @Override T poolMax(int sw, T m, T x) { return cmp(m, x) >= 0 ? m : x; }

        /** The kinks by the sign of their exact arguments. */
        @Override T kink(int i, int e, T x, T y) {
            return switch (p.op[i]) {
                case ABS -> signum.applyAsInt(x) < 0 ? f.neg(x) : x;
                case RELU -> signum.applyAsInt(x) > 0 ? x : f.zero();
                case LEAKY_RELU -> signum.applyAsInt(x) > 0 ? x : f.mul(f.of(p.attr[i]), x);
                case MAX -> cmp(x, y) >= 0 ? x : y;
                case MIN -> cmp(x, y) <= 0 ? x : y;
                case HARDTANH -> cmp(x, f.neg(f.one())) < 0 ? f.neg(f.one()) : cmp(x, f.one()) > 0 ? f.one() : x;
                default -> throw new IllegalStateException(p.op[i] + " is not a kink");
            };
        }
    }
}
