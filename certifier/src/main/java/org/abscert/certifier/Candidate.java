package org.abscert.certifier;

import java.util.Objects;
import java.util.Optional;
import org.abscert.certifier.probe.KinkRules;
import org.abscert.spi.Evaluation;
import org.abscert.spi.Precision;
import org.abscert.spi.SwitchTrace;

/**
 * A gradient to be judged.
 *
 * @param source    a backend name, or {@code given} for a gradient from a file
 * @param gradient  flat in parameter order
 * @param precision the arithmetic the gradient was computed in; the certifier judges the point rounded to it
 * @param trace     the backend's switch trace, when known
 * @param rules     the backend's probed kink rules, when known
 */
public record Candidate(String source, double[] gradient, Precision precision, Optional<SwitchTrace> trace,
                        Optional<KinkRules> rules) {
    public Candidate {
        Objects.requireNonNull(source);
        Objects.requireNonNull(gradient);
        Objects.requireNonNull(precision);
        Objects.requireNonNull(trace);
        Objects.requireNonNull(rules);
    }

    /** A gradient from a file, judged at the point as given (float64). */
    public static Candidate given(double[] gradient) {
        return new Candidate("given", gradient, Precision.FLOAT64, Optional.empty(), Optional.empty());
    }

    /** A backend's evaluation, with its probed rules when available. */
    public static Candidate of(Evaluation e, KinkRules rules) {
        return new Candidate(e.backend(), e.gradient(), e.precision(), Optional.of(e.switches()), Optional.ofNullable(rules));
    }
}
