package org.abscert.experiments;

import java.util.List;
import java.util.Objects;
import org.abscert.certifier.probe.ProbeReport;
import org.abscert.spi.Precision;

/**
 * Everything a comparison run measured, as plain data for the renderers. Lists keep the order of the
 * backends and precisions given to the run. No field is null; a missing number is NaN (or −1 for counts).
 *
 * @param setup      what was run
 * @param backends   the backends compared, and those that could not start
 * @param probes     part 1: kink rules per backend and precision
 * @param cases      part 2: vector suite and kink-forced nets, one entry per case and precision
 * @param training   part 3: one run per backend and precision
 * @param ruleSensitivity part 3: relu′(0)=0 against relu′(0)=1 on one backend, per precision
 * @param timing     part 4: per backend and precision
 * @param bifurcation part 5: relu′(0)=0 against relu′(0)=1 at learning rate 0, beside the published figures
 *                   ({@link BifurcationReport#NONE} when not run)
 * @param maxPool    part 6: max_pool2d tie rules on a LeNet-style CNN ({@link MaxPoolReport#NONE} when not run)
 * @param trainingTrack part 7: MLP and CNN training in float32 and bfloat16 ({@link TrainingTrackReport#NONE}
 *                   when not run)
 * @param notes      observations for people (what could not be measured and why)
 * @param wallMillis wall time of the whole run
 */
public record ComparisonReport(Setup setup, List<BackendInfo> backends, List<ProbeRow> probes, List<CaseResult> cases,
                               List<TrainingRun> training, List<RuleSensitivity> ruleSensitivity,
                               List<TimingRow> timing, BifurcationReport bifurcation, MaxPoolReport maxPool,
                               TrainingTrackReport trainingTrack, List<String> notes, long wallMillis) {
    public ComparisonReport {
        Objects.requireNonNull(setup);
        backends = List.copyOf(backends);
        probes = List.copyOf(probes);
        cases = List.copyOf(cases);
        training = List.copyOf(training);
        ruleSensitivity = List.copyOf(ruleSensitivity);
        timing = List.copyOf(timing);
        Objects.requireNonNull(bifurcation);
        Objects.requireNonNull(maxPool);
        Objects.requireNonNull(trainingTrack);
        notes = List.copyOf(notes);
    }

    /** A report without parts 6 and 7. */
    public ComparisonReport(Setup setup, List<BackendInfo> backends, List<ProbeRow> probes, List<CaseResult> cases,
                            List<TrainingRun> training, List<RuleSensitivity> ruleSensitivity, List<TimingRow> timing,
                            BifurcationReport bifurcation, List<String> notes, long wallMillis) {
        this(setup, backends, probes, cases, training, ruleSensitivity, timing, bifurcation, MaxPoolReport.NONE,
                TrainingTrackReport.NONE, notes, wallMillis);
    }

    /**
     * The configuration that was run.
     *
     * @param dataset       data set name ({@code digits}, {@code fashion-mnist})
     * @param trainSize     training examples used
     * @param testSize      held-out examples for accuracy
     * @param widths        layer widths from input to output, e.g. {@code [64, 128, 128, 10]}
     * @param batch         mini-batch size
     * @param epochs        epochs of SGD
     * @param learningRate  SGD step size
     * @param seed          seed of initialization, batch order and generated nets
     * @param precisions    precisions compared
     * @param kinkNets      number of generated kink-forced nets
     * @param certifyEvery  the certifier judged every k-th training step
     * @param reference     the backend whose gradient time the timing ratios divide by
     * @param quick         whether this is the reduced {@code --quick} run
     * @param environment   Java, OS and core count, for people
     * @param startedAt     ISO-8601 start time
     */
    public record Setup(String dataset, int trainSize, int testSize, List<Integer> widths, int batch, int epochs,
                        double learningRate, long seed, List<Precision> precisions, int kinkNets, int certifyEvery,
                        String reference, boolean quick, String environment, String startedAt) {
        public Setup {
            widths = List.copyOf(widths);
            precisions = List.copyOf(precisions);
        }
    }

    /**
     * A backend that took part, or could not start.
     *
     * @param name        backend name
     * @param version     framework version ("" when it did not start)
     * @param description one line for people
     * @param precisions  precisions it supports
     * @param error       why it could not start, or "" when it did
     * @param variant     a further configuration run on parts 1–2 only (not trained, not timed)
     */
    public record BackendInfo(String name, String version, String description, List<Precision> precisions, String error,
                              boolean variant) {
        public BackendInfo { precisions = List.copyOf(precisions); }

        public boolean available() { return error.isEmpty(); }
    }

    /**
     * Part 1: the probe's measurement of one backend in one precision.
     *
     * @param backend   backend name
     * @param precision precision probed
     * @param report    the probe's report, or null when {@code error} says why there is none
     * @param error     "" or why the probe did not run
     */
    public record ProbeRow(String backend, Precision precision, ProbeReport report, String error) {
        public ProbeRow { Objects.requireNonNull(error); }

        public boolean measured() { return report != null; }
    }

    /**
     * Part 2: one case in one precision, every backend's outcome and their pairwise disagreement.
     *
     * @param caseId       {@link Case#id()}
     * @param group        {@link Case#group()}
     * @param title        {@link Case#title()}
     * @param pointText    {@link Case#pointText()}
     * @param clarke       {@link Case#clarke()}
     * @param note         {@link Case#note()}
     * @param switches     switching variables of the procedure
     * @param precision    the precision the backends evaluated in
     * @param outcomes     one per backend
     * @param disagreement pairwise max-abs difference of the gradients of backends that evaluated
     */
    public record CaseResult(String caseId, String group, String title, String pointText, String clarke, String note,
                             int switches, Precision precision, List<BackendOutcome> outcomes,
                             List<Disagreement> disagreement) {
        public CaseResult {
            outcomes = List.copyOf(outcomes);
            disagreement = List.copyOf(disagreement);
        }

        /** The largest pairwise disagreement, or NaN when fewer than two backends evaluated. */
        public double maxDisagreement() {
            double m = Double.NaN;
            for (Disagreement d : disagreement) m = Double.isNaN(m) ? d.maxAbs() : Math.max(m, d.maxAbs());
            return m;
        }
    }

    /**
     * One backend on one case.
     *
     * @param backend   backend name
     * @param outcome   verdict, or why there is none
     * @param reason    the certifier's reason ("" without a verdict)
     * @param detail    the certifier's sentence, or the backend's error message
     * @param distance  distance to ∂f (NaN when unknown)
     * @param gradient  the backend's gradient (empty when it did not evaluate)
     * @param zeros     switches the backend evaluated at exactly zero (−1 when it did not evaluate)
     * @param spurious  spurious kinks per the certifier, THEORY.md §8 (−1 when unknown)
     */
    public record BackendOutcome(String backend, Outcome outcome, String reason, String detail, double distance,
                                 double[] gradient, int zeros, int spurious) {}

    /** Max-abs difference of two backends' gradients on one case. */
    public record Disagreement(String a, String b, double maxAbs) {}

    /**
     * Part 3: one backend's SGD trajectory in one precision.
     *
     * @param backend   backend name
     * @param precision arithmetic of gradients and updates
     * @param steps     one per mini-batch, in order (empty when the run failed at once)
     * @param epochs    accuracy on the held-out set at the initial parameters and then four times per epoch
     * @param error     "" or why the run stopped
     */
    public record TrainingRun(String backend, Precision precision, List<Step> steps, List<EpochPoint> epochs, String error) {
        public TrainingRun {
            steps = List.copyOf(steps);
            epochs = List.copyOf(epochs);
        }

        public int totalZeros() { return steps.stream().mapToInt(Step::zeros).sum(); }

        /** Sum of spurious kinks over the certified steps, or −1 when no step was judged. */
        public int totalSpurious() {
            int n = 0;
            boolean any = false;
            for (Step s : steps) if (s.spurious() >= 0) { n += s.spurious(); any = true; }
            return any ? n : -1;
        }

        public long count(Outcome o) { return steps.stream().filter(s -> s.outcome() == o).count(); }

        /** Steps whose trace had at least one zero switch. */
        public long stepsWithZeros() { return steps.stream().filter(s -> s.zeros() > 0).count(); }
    }

    /**
     * One SGD step.
     *
     * @param index     step number from 0
     * @param epoch     epoch from 1
     * @param loss      the backend's loss value on the mini-batch
     * @param zeros     active kinks the backend saw: zeros in its switch trace
     * @param switches  switching variables per step
     * @param spurious  spurious kinks per the certifier (−1 when not judged)
     * @param outcome   the verdict, or NOT_JUDGED when this step was not certified
     * @param reason    the certifier's reason ("" when not judged)
     * @param detail    the certifier's sentence when the step was judged but not certified, otherwise ""
     * @param gradientNanos wall time of the backend's evaluate
     * @param certifyNanos  wall time of the certification (−1 when not certified)
     */
    public record Step(int index, int epoch, double loss, int zeros, int switches, int spurious, Outcome outcome,
                      String reason, String detail, long gradientNanos, long certifyNanos) {}

    /**
     * Held-out accuracy and loss after {@code epoch} epochs of training (fractional between epoch ends; 0: the
     * initial parameters).
     */
    public record EpochPoint(double epoch, double accuracy, double loss) {}

    /**
     * Part 3: how often one backend's gradient depends on its relu′(0) rule along its own trajectory.
     *
     * @param backend          the backend (the relu′(0)=0 variant; its trajectory is followed)
     * @param precision        precision
     * @param batches          mini-batches compared
     * @param differing        mini-batches where the two gradients differ in at least one entry
     * @param withZeros        mini-batches whose trace had at least one zero relu argument
     * @param zeroSwitches     zero switches summed over the mini-batches
     * @param maxAbs           largest entry-wise difference seen
     * @param error            "" or why the measurement stopped
     */
    public record RuleSensitivity(String backend, Precision precision, int batches, int differing, int withZeros,
                                  long zeroSwitches, double maxAbs, String error) {}

    /**
     * Part 4: per-step cost of one backend in one precision, as medians over training steps after warm-up.
     *
     * @param backend           backend name
     * @param precision         precision
     * @param gradientMillis    median evaluate time
     * @param gradientRatio     {@code gradientMillis} / the reference backend's in the same precision
     * @param certifyMillis     median certification time per certified step (NaN when none)
     * @param certifyRatio      {@code certifyMillis} / the reference backend's gradient time
     * @param samples           steps the medians are over
     */
    public record TimingRow(String backend, Precision precision, double gradientMillis, double gradientRatio,
                            double certifyMillis, double certifyRatio, int samples) {}
}
