package org.abscert.certifier.analysis;

import org.abscert.spi.ir.Procedure;

/** Static, model-level analysis of a procedure: where C1/C2 hold for every point (THEORY.md §7). */
public final class StaticAnalysis {
    private StaticAnalysis() {}

    public static StaticCertificate analyze(Procedure procedure) {
        throw new UnsupportedOperationException("static analysis");
    }
}
