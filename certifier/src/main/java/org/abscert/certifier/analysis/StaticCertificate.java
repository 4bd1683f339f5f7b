package org.abscert.certifier.analysis;

import java.util.List;

/**
 * A model-level certificate (end of THEORY.md §7), proven once for a procedure rather than per point.
 *
 * @param likqAtEveryPoint       C1 holds at every point for the procedure as given (e.g. batch 1): every switch
 *                               has a private parameter with constant coefficient 1 entering no switch of equal
 *                               or smaller depth
 * @param groupedAtEveryPoint    C2 holds at every point: switch groups share such a parameter
 * @param groupedWithoutPoolTies C2 holds at every point where no max-pool switch is active: every kink node but
 *                               the max pools has such a private parameter (max-pool switches have none, THEORY.md
 *                               §11), so the grouping argument covers every active switch as long as no pooling
 *                               window ties. Implied by {@code groupedAtEveryPoint}; the same as it for a procedure
 *                               without max pooling
 * @param findings               for people: which switches lack a private parameter, the groups found, etc.
 */
public record StaticCertificate(boolean likqAtEveryPoint, boolean groupedAtEveryPoint, boolean groupedWithoutPoolTies,
                                List<String> findings) {
    /** A certificate that says nothing beyond {@code groupedAtEveryPoint} about points with pooling ties. */
    public StaticCertificate(boolean likqAtEveryPoint, boolean groupedAtEveryPoint, List<String> findings) {
        this(likqAtEveryPoint, groupedAtEveryPoint, groupedAtEveryPoint, findings);
    }
}
