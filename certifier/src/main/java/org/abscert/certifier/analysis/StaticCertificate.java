package org.abscert.certifier.analysis;

import java.util.List;

/**
 * A model-level certificate (end of THEORY.md §7), proven once for a procedure rather than per point.
 *
 * @param likqAtEveryPoint    C1 holds at every point for the procedure as given (e.g. batch 1): every switch
 *                            has a private parameter with constant coefficient 1 entering no switch of equal
 *                            or smaller depth
 * @param groupedAtEveryPoint C2 holds at every point: switch groups share such a parameter
 * @param findings            for people: which switches lack a private parameter, the groups found, etc.
 */
public record StaticCertificate(boolean likqAtEveryPoint, boolean groupedAtEveryPoint, List<String> findings) {}
