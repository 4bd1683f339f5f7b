package org.abscert.experiments;

/**
 * Receives progress of a comparison run, in work units announced up front. Called from the thread that
 * runs the comparison.
 */
public interface Progress {
    /** The run needs this many units in all. */
    void begin(long totalUnits);

    /** One unit is done; {@code label} says what the run is doing now. */
    void step(String label);

    /** The run has finished (also after a failure). */
    void end();

    /** Ignores everything. */
    Progress NONE = new Progress() {
        @Override public void begin(long totalUnits) {}
        @Override public void step(String label) {}
        @Override public void end() {}
    };
}
