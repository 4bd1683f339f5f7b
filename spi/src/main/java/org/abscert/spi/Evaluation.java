package org.abscert.spi;

import java.util.Arrays;
import java.util.Objects;

/**
 * What a backend returns for one procedure at one point.
 *
 * @param backend   the backend's name
 * @param precision the arithmetic it used
 * @param value     the output y, widened to double
 * @param gradient  dy/dparameters, flat in parameter order (each parameter row-major)
 * @param switches  the switching variables as the backend computed them
 */
public record Evaluation(String backend, Precision precision, double value, double[] gradient, SwitchTrace switches) {
    public Evaluation {
        Objects.requireNonNull(backend);
        Objects.requireNonNull(precision);
        Objects.requireNonNull(gradient);
        Objects.requireNonNull(switches);
    }

    @Override public boolean equals(Object o) {
        return o instanceof Evaluation e && backend.equals(e.backend) && precision == e.precision
                && Double.compare(value, e.value) == 0 && Arrays.equals(gradient, e.gradient) && switches.equals(e.switches);
    }

    @Override public int hashCode() { return Objects.hash(backend, precision, value, Arrays.hashCode(gradient), switches); }

    @Override public String toString() {
        return "Evaluation[" + backend + "/" + precision + ", value=" + value + ", gradient=" + Arrays.toString(gradient) + "]";
    }
}
