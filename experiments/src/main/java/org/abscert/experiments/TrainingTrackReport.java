package org.abscert.experiments;

import java.util.List;
import java.util.Objects;
import org.abscert.spi.Precision;

/**
 * What the training track ({@link TrainingTrack}) measured. No field is null. {@link #NONE}: not run.
 *
 * @param setup what was run
 * @param runs  one per model, backend and precision
 * @param notes observations for people
 */
public record TrainingTrackReport(Setup setup, List<Run> runs, List<String> notes) {
    public TrainingTrackReport {
        Objects.requireNonNull(setup);
        runs = List.copyOf(runs);
        notes = List.copyOf(notes);
    }

    public static final TrainingTrackReport NONE = new TrainingTrackReport(
            new Setup("", 0, 0, List.of(), 0, 0, 0, 0, List.of(), 0, 0, 0), List.of(), List.of());

    public boolean ran() { return !runs.isEmpty() || !notes.isEmpty(); }

    /**
     * @param dataset        data set name
     * @param trainSize      training examples
     * @param testSize       held-out examples
     * @param models         the models, for people
     * @param batch          mini-batch size
     * @param epochs         epochs
     * @param learningRate   SGD step size
     * @param seed           seed
     * @param precisions     precisions asked for
     * @param certifyEvery   the certifier judged every k-th step
     * @param deadlineMillis the certifier's wall-clock budget per step
     * @param wallMillis     wall time of the track
     */
    public record Setup(String dataset, int trainSize, int testSize, List<String> models, int batch, int epochs,
                        double learningRate, long seed, List<Precision> precisions, int certifyEvery, long deadlineMillis,
                        long wallMillis) {
        public Setup {
            models = List.copyOf(models);
            precisions = List.copyOf(precisions);
        }
    }

    /**
     * One model trained by one backend in one precision.
     *
     * @param model     {@code mlp} or {@code cnn}
     * @param backend   backend name
     * @param precision arithmetic of the backend's evaluations
     * @param steps     one per SGD step done
     * @param accuracy  held-out accuracy before training and after each epoch
     * @param error     "" or why the run stopped or did not run
     */
    public record Run(String model, String backend, Precision precision, List<TrackStep> steps, List<Accuracy> accuracy,
                      String error) {
        public Run {
            steps = List.copyOf(steps);
            accuracy = List.copyOf(accuracy);
            Objects.requireNonNull(error);
        }

        public long reluZeros() { return steps.stream().mapToLong(TrackStep::reluZeros).sum(); }

        public long poolTies() { return steps.stream().mapToLong(TrackStep::poolTies).sum(); }

        public long count(Outcome o) { return steps.stream().filter(s -> s.outcome() == o).count(); }

        /** Steps the certifier was asked about (judged or failed). */
        public long judged() { return steps.stream().filter(s -> s.certifyNanos() >= 0).count(); }

        /** Accuracy after the last epoch reached, or NaN. */
        public double finalAccuracy() { return accuracy.isEmpty() ? Double.NaN : accuracy.get(accuracy.size() - 1).accuracy(); }

        /** Median evaluate time in milliseconds, or NaN. */
        public double medianGradientMillis() {
            return Comparison.median(steps.stream().mapToLong(TrackStep::gradientNanos).toArray()) / 1e6;
        }

        /** Median certification time in milliseconds over the judged steps, or NaN. */
        public double medianCertifyMillis() {
            return Comparison.median(steps.stream().mapToLong(TrackStep::certifyNanos).filter(v -> v >= 0).toArray()) / 1e6;
        }
    }

    /**
     * One SGD step.
     *
     * @param index         step from 0
     * @param epoch         epoch from 1
     * @param loss          the backend's loss on the mini-batch
     * @param reluZeros     ReLU arguments at exactly 0
     * @param poolTies      zero fold switches of max_pool2d
     * @param switches      switching variables per step
     * @param spurious      spurious kinks per the certifier (−1 when not judged)
     * @param outcome       the verdict, or NOT_JUDGED
     * @param reason        the certifier's reason ("" when not judged)
     * @param detail        the certifier's sentence when judged but not certified, else ""
     * @param gradientNanos wall time of the backend's evaluate
     * @param certifyNanos  wall time of the certification (−1 when not asked)
     */
    public record TrackStep(int index, int epoch, double loss, int reluZeros, int poolTies, int switches, int spurious,
                            Outcome outcome, String reason, String detail, long gradientNanos, long certifyNanos) {}

    /** Held-out accuracy and loss after {@code epoch} epochs (0: the initial parameters). */
    public record Accuracy(int epoch, double accuracy, double loss) {}
}
