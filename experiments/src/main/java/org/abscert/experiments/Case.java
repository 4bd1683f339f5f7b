package org.abscert.experiments;

import java.util.Objects;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;

/**
 * One procedure at one point for the vector suite.
 *
 * @param id        short stable identifier (used in CSV and JSON)
 * @param group     {@code theory} for THEORY.md §10, {@code kink-forced} for generated nets
 * @param title     the function, for people (e.g. {@code relu(x) − relu(−x)})
 * @param pointText the point, for people (e.g. {@code x = 0})
 * @param clarke    the Clarke generalized gradient there, for people, when known in closed form
 * @param note      what the case shows
 * @param procedure the procedure
 * @param values    its parameters and data (the point itself)
 */
public record Case(String id, String group, String title, String pointText, String clarke, String note,
                   Procedure procedure, Point values) {
    public Case {
        Objects.requireNonNull(id);
        Objects.requireNonNull(group);
        Objects.requireNonNull(title);
        Objects.requireNonNull(pointText);
        Objects.requireNonNull(clarke);
        Objects.requireNonNull(note);
        Objects.requireNonNull(procedure);
        Objects.requireNonNull(values);
    }
}
