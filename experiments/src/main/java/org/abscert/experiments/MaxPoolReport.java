package org.abscert.experiments;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.abscert.spi.Precision;

/**
 * What the max-pool experiment ({@link MaxPoolExperiment}) measured, as plain data for the renderers. No field
 * is null; a missing number is NaN. {@link #NONE} stands for "not run".
 *
 * @param setup  what was run
 * @param rows   one per network, backend and precision
 * @param judged one per mini-batch with a pooling tie that the certifier judged, with a verdict per rule
 * @param notes  observations for people
 */
public record MaxPoolReport(Setup setup, List<Row> rows, List<JudgedBatch> judged, List<String> notes) {
    public MaxPoolReport {
        Objects.requireNonNull(setup);
        rows = List.copyOf(rows);
        judged = List.copyOf(judged);
        notes = List.copyOf(notes);
    }

    /** The experiment was not part of the run. */
    public static final MaxPoolReport NONE = new MaxPoolReport(
            new Setup("", 0, 0, 0, 0, List.of(), "", 0, 0, 0, 0), List.of(), List.of(), List.of());

    /** Whether the experiment ran (some row exists or a note says why none does). */
    public boolean ran() { return !rows.isEmpty() || !notes.isEmpty(); }

    /**
     * @param dataset        data set name
     * @param examples       examples one epoch goes through
     * @param batch          mini-batch size
     * @param inits          initialisations per network, backend and precision
     * @param seed           seed of initialisations and batch orders
     * @param networks       the networks with their pooling, for people
     * @param init           the initialisation, for people
     * @param certifyLimit   mini-batches with a tie judged per row at most
     * @param deadlineMillis the certifier's wall-clock budget per gradient
     * @param workCap        the certifier's work cap
     * @param wallMillis     wall time of the experiment
     */
    public record Setup(String dataset, int examples, int batch, int inits, long seed, List<String> networks, String init,
                        int certifyLimit, long deadlineMillis, long workCap, long wallMillis) {
        public Setup {
            Objects.requireNonNull(dataset);
            networks = List.copyOf(networks);
            Objects.requireNonNull(init);
        }
    }

    /**
     * One network on one backend in one precision, over all initialisations.
     *
     * @param network           network name ({@code lenet}, {@code lenet-overlap})
     * @param pool              pooling window and stride, e.g. {@code 3×3/2}
     * @param backend           backend name
     * @param precision         precision
     * @param rules             tie rules evaluated; the first is the reference (a framework's own rule is labelled
     *                          with the probe's measurement)
     * @param inits             initialisations completed
     * @param batches           mini-batches evaluated with the first rule
     * @param batchesWithTies   mini-batches with at least one pooling tie (zero fold switch)
     * @param ties              zero fold switches of max_pool2d in all mini-batches
     * @param poolWindows       pooling windows evaluated (max_pool2d output elements)
     * @param poolSwitches      fold comparisons evaluated (m − 1 per window of m cells)
     * @param reluZeros         ReLU arguments evaluated at exactly 0
     * @param reluEvaluations   ReLU evaluations
     * @param batchesDiffering  per rule: mini-batches whose gradient differs from the first rule's in some entry
     *                          (entry 0 is always 0)
     * @param initsDiffering    per rule: initialisations with such a mini-batch
     * @param maxAbs            per rule: the largest entry-wise difference from the first rule's gradient
     * @param millis            wall time of the row
     * @param error             "" or why the row stopped early or did not run
     */
    public record Row(String network, String pool, String backend, Precision precision, List<String> rules, int inits,
                      long batches, long batchesWithTies, long ties, long poolWindows, long poolSwitches, long reluZeros,
                      long reluEvaluations, long[] batchesDiffering, long[] initsDiffering, double[] maxAbs, long millis,
                      String error) {
        public Row {
            Objects.requireNonNull(network);
            rules = List.copyOf(rules);
            Objects.requireNonNull(error);
            if (batchesDiffering.length != rules.size() || initsDiffering.length != rules.size() || maxAbs.length != rules.size())
                throw new IllegalArgumentException("one count per rule");
        }

        /** Ties per pooling window evaluated (NaN when none ran). */
        public double tieRate() { return poolWindows == 0 ? Double.NaN : ties / (double) poolWindows; }

        /** Fraction of mini-batches with a tie. */
        public double tieBatchRate() { return batches == 0 ? Double.NaN : batchesWithTies / (double) batches; }

        /** Exact zeros per ReLU evaluation. */
        public double reluZeroRate() { return reluEvaluations == 0 ? Double.NaN : reluZeros / (double) reluEvaluations; }

        /** Fraction of mini-batches where rule {@code r}'s gradient differs from the first rule's. */
        public double batchRate(int r) { return batches == 0 ? Double.NaN : batchesDiffering[r] / (double) batches; }

        /** Fraction of initialisations with a mini-batch where rule {@code r}'s gradient differs. */
        public double initRate(int r) { return inits == 0 ? Double.NaN : initsDiffering[r] / (double) inits; }
    }

    /**
     * A mini-batch with a pooling tie, judged under every rule.
     *
     * @param network   network name
     * @param backend   backend name
     * @param precision precision
     * @param init      initialisation index from 0
     * @param step      mini-batch index in the epoch
     * @param ties      zero fold switches of max_pool2d (first rule's evaluation)
     * @param reluZeros ReLU arguments at exactly 0
     * @param differs   whether some rule's gradient differs from the first rule's here
     * @param verdicts  one per rule, in the row's rule order
     */
    public record JudgedBatch(String network, String backend, Precision precision, int init, int step, int ties,
                              int reluZeros, boolean differs, List<RuleVerdict> verdicts) {
        public JudgedBatch { verdicts = List.copyOf(verdicts); }
    }

    /**
     * The certifier's verdict on one rule's gradient.
     *
     * @param rule    the rule's label
     * @param outcome verdict, or NOT_JUDGED when the certifier failed
     * @param reason  the certifier's reason ("" when not judged)
     * @param detail   the certifier's sentence
     * @param distance the certifier's Euclidean distance from the gradient to the computed part of ∂f (0 when
     *                 certified, NaN when unknown)
     * @param millis   time of the judgement
     */
    public record RuleVerdict(String rule, Outcome outcome, String reason, String detail, double distance, long millis) {}

    /**
     * Verdict tallies per rule over the judged mini-batches: rule → "OUTCOME REASON" → count, in first-seen
     * order. Every judged mini-batch adds one to each of its rules, so each rule's counts sum to the number of
     * judged mini-batches that evaluated it.
     */
    public Map<String, Map<String, Integer>> tallies() {
        Map<String, Map<String, Integer>> t = new LinkedHashMap<>();
        for (JudgedBatch b : judged)
            for (RuleVerdict v : b.verdicts())
                t.computeIfAbsent(v.rule(), k -> new LinkedHashMap<>())
                        .merge(v.outcome().name() + (v.reason().isEmpty() ? "" : " " + v.reason()), 1, Integer::sum);
        return t;
    }
}
