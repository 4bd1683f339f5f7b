package org.abscert.dl4j.listener;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.abscert.certifier.Candidate;
import org.abscert.certifier.Certifier;
import org.abscert.certifier.probe.KinkRules;
import org.abscert.certifier.training.DenseFastCheck;
import org.abscert.certifier.training.ListenerBuilder;
import org.abscert.certifier.training.Mode;
import org.abscert.certifier.training.Policy;
import org.abscert.certifier.training.StepCertifier;
import org.abscert.certifier.training.TrainingStatistics;
import org.abscert.dl4j.Dl4jKinkRules;
import org.abscert.dl4j.model.DropoutMasks;
import org.abscert.dl4j.model.ImportedCnn;
import org.abscert.dl4j.model.ImportedGraph;
import org.abscert.dl4j.model.ImportedNetwork;
import org.abscert.dl4j.model.NetworkImport;
import org.abscert.dl4j.model.NetworkImporter;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.SwitchTrace;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A DL4J training listener that certifies each step's gradient as a Clarke generalized gradient before the
 * updater applies it. Drop-in for an existing {@link MultiLayerNetwork} (dense or convolutional, with or without
 * dropout, {@link NetworkImporter#importAny}) or a {@link ComputationGraph} of dense or convolutional layers with
 * residual joins ({@link ImportedGraph}); with dropout the listener copies the step's masks itself in
 * {@code onForwardPass} ({@link DropoutMasks}), so it is the only listener needed:
 *
 * <pre>{@code
 * ClarkeListener clarke = ClarkeListener.builder().policy(Policy.WARN).every(10).build();
 * net.addListeners(clarke);
 * net.fit(trainIterator, epochs);
 * TrainingStatistics stats = clarke.statistics();
 * }</pre>
 *
 * <p><b>Hook.</b> DL4J's optimizer calls {@code computeGradientAndScore}, then every listener's
 * {@link #onGradientCalculation}, then the updater (minibatch division, regularization, Adam …), then the
 * parameter step. The listener works in {@code onGradientCalculation}: on the first call it imports the
 * network ({@link NetworkImporter}), and on each checked step it builds the procedure's point from the
 * network's current parameters and batch, takes the switch trace from DL4J's own pre-activations of that
 * batch, and asks the {@link Certifier} about DL4J's gradient with the kink rules
 * {@link Dl4jKinkRules#NETWORK} (unless others are given).
 *
 * <p><b>Scaling.</b> The gradient DL4J holds at that point is the gradient of the loss summed over the batch
 * (DL4J's score is the mean; the updater divides by the batch size later) and contains no regularization
 * (the updater adds it later). The listener divides by the batch size to obtain the gradient of the
 * procedure, whose value is DL4J's score without regularization; under {@link Policy#REPAIR} it writes the
 * certified gradient back multiplied by the batch size into DL4J's flat gradient view (in DL4J's parameter
 * layout), so the updater's minibatch division and regularization apply to it unchanged.
 *
 * <p>The verdict, the policy's action and the statistics are the shared {@link StepCertifier}'s (the same as
 * DJL's listener). Statistics are readable at any time with {@link #statistics()} and logged (SLF4J, INFO) at
 * every epoch end and by {@link #close()}. A network the importer does not support is reported once (ERROR,
 * one line naming the layer and why, {@link StepCertifier#unsupported}) and the listener stays passive under
 * OBSERVE and WARN, still counting steps; under FAIL and REPAIR it throws
 * {@link org.abscert.certifier.training.UnsupportedModelException}. A certifier failure counts as an error in
 * the statistics and is logged; under FAIL it is rethrown.
 *
 * <p>Not thread-safe; attach one listener to one network.
 */
public final class ClarkeListener extends BaseTrainingListener implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClarkeListener.class);

    private final StepCertifier steps;
    private final int every;
    private final KinkRules rules;

    private NetworkImport imported;
    private FastDl4j fast;
    private FastCnnDl4j fastCnn;
    private ImportedGraph importedGraph;
    private ComputationGraph graphFrom;
    private MultiLayerNetwork importedFrom;
    /** The steps begun so far: the next forward pass is that of step stepsSeen + 1. */
    private long stepsSeen;
    /** The threads of a FAST check of a CNN's step ({@link Builder#checkThreads(int)}). */
    private final int checkThreads;

    private ClarkeListener(Builder b, StepCertifier steps, int checkThreads) {
        this.steps = steps;
        this.every = b.every;
        this.rules = b.rules;
        this.checkThreads = checkThreads;
    }

    public static Builder builder() { return new Builder(); }

    public Policy policy() { return steps.policy(); }

    /** A snapshot of the statistics. */
    public TrainingStatistics statistics() { return steps.statistics(); }

    /** The verdict on the latest checked step, if any (under FAST its gradient array is empty: not read). */
    public Optional<org.abscert.certifier.Result> lastResult() { return steps.lastResult(); }

    /**
     * Copies the dropout masks DL4J drew in this forward pass ({@link DropoutMasks#record}) when the step will be
     * checked: DL4J drops them in the backward pass, before {@link #onGradientCalculation}, and the step's point needs
     * them. A {@link DropoutMasks#recorder()} next to this listener sees the same pass, which is recorded once.
     */
    @Override
    public void onForwardPass(Model model, List<INDArray> activations) {
        forwardPass(model, activations);
    }

    /** A ComputationGraph's forward pass: see {@link #onForwardPass(Model, List)}. */
    @Override
    public void onForwardPass(Model model, Map<String, INDArray> activations) {
        forwardPass(model, activations);
    }

    /** @param pass what DL4J hands every listener in this forward pass, which identifies it */
    private void forwardPass(Model model, Object pass) {
        if (steps.passive() && policy() != Policy.FAIL && policy() != Policy.REPAIR) return;
        if (stepsSeen % every != 0) return;
        // a ComputationGraph with dropout is not imported (ImportedGraph), so only a network's masks are recorded
        if (model instanceof MultiLayerNetwork network && DropoutMasks.hasDropout(network)) DropoutMasks.record(network, pass);
    }

    @Override
    public void onGradientCalculation(Model model) {
        long start = System.nanoTime();
        long step = steps.beginStep();
        stepsSeen = step;
        try {
            if (steps.passive() && policy() != Policy.FAIL && policy() != Policy.REPAIR) return;
            if ((step - 1) % every != 0) return;
            if (model instanceof ComputationGraph graph) {
                if (importedGraph == null || graphFrom != graph) {
                    try {
                        importedGraph = ImportedGraph.of(graph);
                        graphFrom = graph;
                    } catch (InvalidInputException e) {
                        unsupported(e.getMessage());
                        return;
                    }
                }
                steps.fastRefused("a ComputationGraph");
                steps.nextCheck();
                long t = System.nanoTime();
                checkGraph(step, graph);
                steps.checked(Mode.FULL, System.nanoTime() - t, false);
                return;
            }
            if (!(model instanceof MultiLayerNetwork network)) {
                unsupported("the model is a " + model.getClass().getSimpleName() + ", neither a MultiLayerNetwork nor a ComputationGraph");
                return;
            }
            if (imported == null || importedFrom != network) {
                try {
                    imported = NetworkImporter.importAny(network);
                    importedFrom = network;
                } catch (InvalidInputException e) {
                    unsupported(e.getMessage());
                    return;
                }
                attachFast(network, network.getInput());
            }
            Mode mode = steps.nextCheck();
            long t = System.nanoTime();
            if (mode == Mode.FAST && (fast != null || fastCnn != null)) {
                DenseFastCheck.Outcome o = network.getInput() == null || network.getLabels() == null ? null
                        : !FastDl4j.finite(network.getGradientsViewArray()) ? FastDl4j.NOT_FINITE
                        : fast != null ? fast.check(network.getInput(), network.getLabels(), steps::fastRefused)
                        : fastCnn.check(network.getInput(), network.getLabels(), steps::fastRefused);
                boolean settled = o != null && steps.judgeFast(o).isPresent();
                long t1 = System.nanoTime();
                steps.checked(Mode.FAST, t1 - t, !settled);
                if (settled) return;
                // past the time share of such steps, a step FAST leaves open is UNDECIDED (a gradient that is not finite is always judged)
                if (o != null && steps.unjudged(step, o).isPresent()) return;
                t = t1;
            }
            check(step, network);
            steps.checked(Mode.FULL, System.nanoTime() - t, false);
        } finally {
            // the recorders copy the pre-activations only for a step that will be checked
            if (fast != null) fast.arm(steps.mode() == Mode.FAST && step % every == 0);
            if (fastCnn != null) fastCnn.arm(steps.mode() == Mode.FAST && step % every == 0);
            steps.endStep(start);
        }
    }

    /** Instruments a dense or convolutional network for FAST, or records why FAST does not cover the model. */
    private void attachFast(MultiLayerNetwork network, INDArray features) {
        if (fast != null) fast.restore();
        if (fastCnn != null) fastCnn.restore();
        fast = null;
        fastCnn = null;
        if (steps.mode() != Mode.FAST) return;
        if (imported instanceof ImportedCnn cnn && features != null) {
            FastCnnDl4j f = FastCnnDl4j.attach(network, cnn, rules, features, checkThreads);
            if (f.refusal() != null) steps.fastRefused(f.refusal());
            else fastCnn = f;
            return;
        }
        if (!(imported instanceof ImportedNetwork dense)) {
            steps.fastRefused("a convolutional network whose input is not known yet");
            return;
        }
        FastDl4j f = FastDl4j.attach(network, dense, rules);
        if (f.refusal() != null) steps.fastRefused(f.refusal());
        else fast = f;
    }

    /** One line, once; passive under OBSERVE/WARN, throws under FAIL/REPAIR (the shared rule of StepCertifier). */
    private void unsupported(String why) {
        steps.unsupported(why);
    }

    private void check(long step, MultiLayerNetwork network) {
        INDArray features = network.getInput(), labels = network.getLabels();
        if (features == null || labels == null) {
            LOG.debug("step {}: no input or labels on the network; skipped", step);
            return;
        }
        int batch = (int) features.size(0);
        Procedure procedure = imported.procedureFor(features);
        Point point;
        try {
            point = imported.point(procedure, network, features, labels);
        } catch (InvalidInputException e) {
            steps.error(step, e.getMessage(), null);
            return;
        }
        double[] gradient = imported.gradient(network, batch);
        SwitchTrace trace = imported.trace(network, features, labels);
        Candidate candidate = new Candidate("dl4j", gradient, imported.precision(), Optional.of(trace), Optional.of(rules));
        steps.judge(step, procedure, point, candidate, fixed -> imported.writeGradient(network, fixed, batch),
                (s, result, what) -> new ClarkeViolationException((int) s, what));
    }

    private void checkGraph(long step, ComputationGraph graph) {
        INDArray[] inputs = graph.getInputs();
        INDArray labels = ImportedGraph.labels(graph);
        if (inputs == null || inputs.length == 0 || labels == null) {
            LOG.debug("step {}: no input or labels on the graph; skipped", step);
            return;
        }
        INDArray features = inputs[0];
        int batch = (int) features.size(0);
        Procedure procedure;
        Point point;
        try {
            procedure = importedGraph.procedureFor(features);
            point = importedGraph.point(procedure, graph, features, labels);
        } catch (InvalidInputException e) {
            steps.error(step, e.getMessage(), null);
            return;
        }
        Candidate candidate = new Candidate("dl4j", importedGraph.gradient(graph, batch), importedGraph.precision(),
                Optional.of(importedGraph.trace(graph, features)), Optional.of(rules));
        steps.judge(step, procedure, point, candidate, fixed -> importedGraph.writeGradient(graph, fixed, batch),
                (s, result, what) -> new ClarkeViolationException((int) s, what));
    }

    @Override
    public void onEpochEnd(Model model) {
        LOG.info("ClarkeListener after epoch: {}", statistics().summary());
    }

    /**
     * Logs the final statistics and puts back the layer configurations that {@link Mode#FAST} instrumented; a
     * later step instruments them again. The listener stays usable.
     */
    @Override
    public void close() {
        if (fast != null) fast.restore();
        if (fastCnn != null) fastCnn.restore();
        fast = null;
        fastCnn = null;
        importedFrom = null;
        LOG.info("ClarkeListener: {}", statistics().summary());
    }

    /** Builder; defaults: policy {@link ListenerBuilder#DEFAULT_POLICY} (WARN), every step, the certifier's defaults with a deadline of {@link ListenerBuilder#DEFAULT_DEADLINE} per FULL step, {@link Dl4jKinkRules#NETWORK}. */
    public static final class Builder extends ListenerBuilder<Builder> {
        private int every = 1;
        private KinkRules rules = Dl4jKinkRules.NETWORK;

        public Builder() { super(); }

        @Override protected Builder self() { return this; }

        /** Check every k-th step only (the 1st, k+1-th, …); the others are counted as steps. */
        public Builder every(int k) {
            if (k <= 0) throw new IllegalArgumentException("every must be positive, got " + k);
            this.every = k;
            return this;
        }

        /** The kink rules given to the certifier for DL4J's gradients (for example a probe's result). */
        public Builder rules(KinkRules r) {
            this.rules = Objects.requireNonNull(r);
            return this;
        }

        public ClarkeListener build() { return new ClarkeListener(this, stepCertifier("DL4J", LOG), checkThreads()); }
    }
}
