package org.abscert.experiments;

import java.util.List;
import java.util.Objects;
import org.abscert.spi.Precision;

/**
 * What the bifurcation experiment ({@link Bifurcation}) measured, as plain data for the renderers. No field
 * is null; a missing number is NaN (or −1 for counts). {@link #NONE} stands for "not run".
 *
 * @param setup     what was run
 * @param rows      one per network, backend and precision
 * @param differing one per mini-batch whose first-layer weight gradients differ between the two rules
 * @param published the published figures the rows are set beside ({@link PublishedKinkFigures})
 * @param notes     observations for people (what could not be measured and why)
 */
public record BifurcationReport(Setup setup, List<Row> rows, List<DifferingBatch> differing,
                                List<PublishedKinkFigures.Row> published, List<String> notes) {
    public BifurcationReport {
        Objects.requireNonNull(setup);
        rows = List.copyOf(rows);
        differing = List.copyOf(differing);
        published = List.copyOf(published);
        notes = List.copyOf(notes);
    }

    /** The experiment was not part of the run. */
    public static final BifurcationReport NONE = new BifurcationReport(
            new Setup("", 0, 0, 0, 0, false, "", 0, 0, 0), List.of(), List.of(), List.of(), List.of());

    /** Whether the experiment ran (some row exists or a note says why none does). */
    public boolean ran() { return !rows.isEmpty() || !notes.isEmpty(); }

    /**
     * The configuration that was run.
     *
     * @param dataset         data set name ({@code digits}, {@code fashion-mnist})
     * @param examples        training examples one epoch goes through
     * @param features        input width
     * @param inits           random initialisations per network, backend and precision
     * @param seed            seed of initialisations and batch orders
     * @param sweep           whether the depth, width and batch sweeps ran
     * @param init            the initialisation, for people
     * @param certifyLimit    differing batches certified per row at most
     * @param wallMillis      wall time of the experiment
     * @param certifiedCount  differing batches the certifier judged
     */
    public record Setup(String dataset, int examples, int features, int inits, long seed, boolean sweep, String init,
                        int certifyLimit, long wallMillis, int certifiedCount) {
        public Setup {
            Objects.requireNonNull(dataset);
            Objects.requireNonNull(init);
        }
    }

    /**
     * One network on one backend in one precision, over all initialisations.
     *
     * @param network          hidden layers × width, e.g. {@code 3×256}
     * @param depth            hidden layers
     * @param width            neurons per hidden layer
     * @param batch            mini-batch size
     * @param backend          backend name
     * @param precision        arithmetic of both backward passes
     * @param relu1            how relu′(0)=1 was obtained: {@code configured} or {@code reformulated}
     *                         (relu(x) = x + relu(−x) under the backend's own rule)
     * @param inits            initialisations completed
     * @param initsDiffering   initialisations with at least one mini-batch whose gradients differ
     * @param ciLow            lower end of the 95 % Wilson interval of {@code initsDiffering / inits}
     * @param ciHigh           upper end of that interval
     * @param batches          mini-batches evaluated (all initialisations)
     * @param batchesWithZeros mini-batches with at least one ReLU argument exactly 0 (second backward run)
     * @param batchesDiffering mini-batches whose first-layer weight gradients differ
     * @param zeros            ReLU arguments evaluated at exactly 0
     * @param reluEvaluations  ReLU evaluations (batch × hidden neurons × mini-batches)
     * @param millis           wall time of this row
     * @param error            "" or why the row stopped early
     */
    public record Row(String network, int depth, int width, int batch, String backend, Precision precision,
                      String relu1, int inits, int initsDiffering, double ciLow, double ciHigh, long batches,
                      long batchesWithZeros, long batchesDiffering, long zeros, long reluEvaluations, long millis,
                      String error) {
        public Row {
            Objects.requireNonNull(network);
            Objects.requireNonNull(error);
        }

        /** Fraction of initialisations with a differing mini-batch (NaN when none ran). */
        public double fraction() { return inits == 0 ? Double.NaN : initsDiffering / (double) inits; }

        /** Fraction of mini-batches whose gradients differ. */
        public double batchRate() { return batches == 0 ? Double.NaN : batchesDiffering / (double) batches; }

        /** Exact zeros per ReLU evaluation. */
        public double zeroRate() { return reluEvaluations == 0 ? Double.NaN : zeros / (double) reluEvaluations; }
    }

    /**
     * A mini-batch whose first-layer weight gradients differ between relu′(0)=0 and relu′(0)=1, with the
     * certifier's verdict on both and the exact sign of every ReLU argument the backend saw at 0.
     *
     * @param network      hidden layers × width
     * @param batchSize    mini-batch size
     * @param backend      backend name
     * @param precision    precision
     * @param init         initialisation index from 0
     * @param step         mini-batch index within the epoch
     * @param zeros        ReLU arguments the backend evaluated at exactly 0
     * @param exactKinks   of those, arguments that are exactly 0 at the same (rounded) point in exact arithmetic
     * @param spuriousBelow zeros whose exact value is negative (relu′(0)=0 gives the derivative there)
     * @param spuriousAbove zeros whose exact value is positive (relu′(0)=1 gives the derivative there)
     * @param entries      first-layer weight entries that differ
     * @param maxAbs       largest difference among them
     * @param rule0        verdict on the relu′(0)=0 gradient
     * @param reason0      the certifier's reason for it ("" when not judged)
     * @param rule1        verdict on the relu′(0)=1 gradient
     * @param reason1      the certifier's reason for it
     * @param matched      which rule gives the exact gradient: with only rounding artefacts, the rule whose
     *                     derivative agrees with the exact sign at every zero ({@code relu'(0)=0},
     *                     {@code relu'(0)=1}, or {@code neither} when the signs are mixed); with exact kinks,
     *                     the gradients the certifier accepted ({@code both}, one rule, or {@code neither})
     * @param detail       the certifier's sentence on a gradient it did not certify, else ""
     */
    public record DifferingBatch(String network, int batchSize, String backend, Precision precision, int init, int step,
                                 int zeros, int exactKinks, int spuriousBelow, int spuriousAbove, int entries,
                                 double maxAbs, Outcome rule0, String reason0, Outcome rule1, String reason1,
                                 String matched, String detail) implements java.io.Serializable {
        /** Zeros that are rounding artefacts (THEORY.md §8). */
        public int spurious() { return spuriousBelow + spuriousAbove; }
    }

    /**
     * The 95 % Wilson score interval of a binomial proportion {@code k / n} (better than the normal
     * approximation near 0 and 1, where these fractions live). {@code [NaN, NaN]} for n = 0.
     */
    public static double[] wilson(int k, int n) {
        if (n <= 0) return new double[] {Double.NaN, Double.NaN};
        double z = 1.959963984540054, p = k / (double) n, z2 = z * z;
        double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
        double half = z / (1 + z2 / n) * Math.sqrt(p * (1 - p) / n + z2 / (4.0 * n * n));
        return new double[] {Math.max(0, centre - half), Math.min(1, centre + half)};
    }
}
