package org.abscert.djl.listener;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.LambdaBlock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.abscert.certifier.probe.KinkRules;
import org.abscert.certifier.probe.PoolTieProbe;
import org.abscert.certifier.training.ConvFastCheck;
import org.abscert.certifier.training.DenseFastCheck;
import org.abscert.djl.NdArrays;
import org.abscert.djl.importer.ImportedModel;
import org.abscert.djl.importer.ParameterBinding;
import org.abscert.djl.importer.Step;
import org.abscert.spi.ir.Point;

/**
 * {@code Mode.FAST} for a DJL {@code SequentialBlock} CNN ({@code Conv2d} → ReLU → {@code Pool.maxPool2dBlock} or
 * {@code avgPool2dBlock} stages, {@code Blocks.batchFlattenBlock()}, {@code Linear} layers with ReLU or leaky ReLU):
 * records the input of each activation block in the training forward pass — the conv's or Linear layer's output,
 * the array PyTorch's backward differentiates at — and hands it to {@link ConvFastCheck}.
 *
 * <p><b>Instrumentation.</b> As {@link FastDjl}, by {@link ActivationRecorders}; {@link #restore} puts the
 * original functions back. The k-th activation block with a switch is the k-th
 * activation node of the imported procedure ({@link org.abscert.djl.importer.SequentialImport} adds one node per
 * such block, in order); weights and biases are read through the import's parameter bindings.
 */
final class FastCnnDjl extends FastInstrumentation {
    /**
     * PyTorch's max_pool2d tie rule: the first maximal cell in the window's scan order takes the gradient, as
     * {@code PoolTieProbe} measures on the {@code djl} backend (CnnOpsTest and FastCnnModeTest re-measure it);
     * abs-consistent (slope +1 at every zero switch of the fold) and deterministic.
     */
    static final PoolTieProbe.PoolTies POOL_TIES = new PoolTieProbe.PoolTies("first cell", true, true,
            List.of("PyTorch 2.7.1 max_pool2d through DJL 0.36.0, measured by PoolTieProbe"));

    private final KinkRules rules;
    /** The threads of each step's check ({@link ConvFastCheck#threads(int)}). */
    private final int threads;
    private final Map<Integer, ConvFastCheck> checks = new HashMap<>();
    /** The widened pre-activations of the last check, reused (a step of LeNet records megabytes). */
    private double[][] wide = new double[0][];
    private List<ConvFastCheck.Hidden> hidden = List.of();
    /** The data and each hidden layer's weights of the last check, widened, reused likewise. */
    private double[] wideData = new double[0];
    private double[][] wideWeights = new double[0][];
    /** The float32 copies of the recordings kept as tensors, reused likewise. */
    private float[][] copies = new float[0][];

    private FastCnnDjl(ImportedModel model, ImportedModel single, KinkRules rules, int threads) {
        this.rules = rules;
        this.threads = threads;
        List<LambdaBlock> blocks = new ArrayList<>();
        String why = ActivationRecorders.unavailable();
        ConvFastCheck check = why != null ? null : ConvFastCheck.of(model.procedure(), single.procedure(), model.precision(), rules, POOL_TIES)
                .threads(threads);
        if (why == null) why = check.refusal().orElse(null);
        if (why == null) {
            hidden = check.hidden();
            checks.put(model.batch(), check);
            List<Step.Activation> acts = new ArrayList<>();
            for (Step s : model.steps()) if (s instanceof Step.Activation a && a.op().isPresent()) acts.add(a);
            if (acts.size() != hidden.size()) why = acts.size() + " activation blocks for " + hidden.size() + " activation nodes";
            for (int k = 0; why == null && k < acts.size(); k++) {
                if (!(acts.get(k).block() instanceof LambdaBlock lb)) why = "activation " + acts.get(k).where() + " is not a LambdaBlock";
                else blocks.add(lb);
            }
        }
        instrument(why, blocks);
    }

    /**
     * Instruments the model's activation blocks, or explains in {@link #refusal()} why FAST does not cover it.
     *
     * @param model   the imported model of the current batch size
     * @param single  the imported model of one example
     * @param threads the threads each step's check may use
     */
    static FastCnnDjl attach(ImportedModel model, ImportedModel single, KinkRules rules, int threads) {
        return new FastCnnDjl(model, single, rules, threads);
    }

    /**
     * The FAST check of the step just computed, ready to run, or null when it cannot be given (nothing recorded for
     * this batch, or FAST refused at this batch size: {@code refused} receives why). What the check reads of the step
     * is read here, on the training thread; with {@code captured} the check may run after the optimizer step, on
     * another thread: it reads the parameters from the snapshot, copies the data and the recordings kept as tensors
     * ({@link ActivationRecorders#keep}) and closes them, and must end before the next step is prepared.
     *
     * @param model    the imported model of this batch size
     * @param single   the imported model of one example
     * @param data     the batch's data array [N, C, H, W]
     * @param y        the batch's targets, read when a sample is re-evaluated (already read when {@code captured} is given)
     * @param recorded what {@link #take} returned
     * @param captured the parameters captured at this step, or null: the check runs now and reads them where DJL holds them
     * @param threads  the threads of this check (at most those given to {@link #attach})
     */
    Supplier<DenseFastCheck.Outcome> prepare(ImportedModel model, ImportedModel single, NDArray data, Targets y,
                                             ActivationRecorders.Recorded[] recorded, Consumer<String> refused, ParameterSnapshot captured,
                                             int threads) {
        int batch = model.batch();
        ConvFastCheck check = checks.computeIfAbsent(batch, b -> ConvFastCheck.of(model.procedure(), single.procedure(), model.precision(),
                rules, POOL_TIES));
        check.threads(Math.max(1, Math.min(threads, this.threads)));
        if (check.refusal().isPresent()) {
            refused.accept(check.refusal().get());
            return null;
        }
        if (wide.length != hidden.size()) wide = new double[hidden.size()][];
        for (int k = 0; k < hidden.size(); k++)
            if (recorded[k] == null || recorded[k].length() != (long) batch * hidden.get(k).switches()) return null;
        if (wideWeights.length != hidden.size()) wideWeights = new double[hidden.size()][];
        if (copies.length != hidden.size()) copies = new float[hidden.size()][];
        if (data.size() != (long) batch * model.inputWidth()) return null;
        // a check after the step widens the data on its own thread, from a handle of its own to the batch's tensor
        double[] now = captured == null ? (wideData = NdArrays.doubles(data, wideData)) : null;
        NDArray later = captured == null ? null : ActivationRecorders.handle(data);
        Map<String, ParameterBinding> bindings = new HashMap<>();
        for (ParameterBinding b : model.bindings()) bindings.put(b.name(), b);
        int in = model.inputWidth(), out = model.outputWidth();
        ActivationRecorders.Recorded[] z = recorded.clone();
        return () -> {
            double[] x;
            try (NDArray d = later) {
                ActivationRecorders.copyKept(z, copies);
                x = d == null ? now : (wideData = NdArrays.doubles(d, wideData));
            }
            return check.check(new ConvFastCheck.StepValues() {
                @Override public double[] input() { return x; }

                // widened on demand (the check reads the conv stages as float32) into the previous step's arrays: megabytes a step otherwise
                @Override public double[] preActivations(int k) { return wide[k] = z[k].doubles(wide[k]); }

                @Override public float[] preActivationsFloat(int k) { return z[k].f(); }

                @Override public double[] bias(int k) {
                    String name = hidden.get(k).bias();
                    return captured != null ? captured.doubles(name, null) : NdArrays.doubles(bindings.get(name).parameter().getArray());
                }

                // PyTorch's conv weight [O, C, kh, kw] and Linear weight [out, in] are both output-major as they are
                @Override public double[] weights(int k) {
                    String name = hidden.get(k).weight();
                    return wideWeights[k] = captured != null ? captured.doubles(name, wideWeights[k])
                            : NdArrays.doubles(bindings.get(name).parameter().getArray(), wideWeights[k]);
                }

                @Override public Point samplePoint(int s) {
                    double[] xs = new double[in], ys = new double[out];
                    System.arraycopy(x, s * in, xs, 0, in);
                    System.arraycopy(y.get(), s * out, ys, 0, out);
                    return captured != null ? captured.at(single, xs, ys) : single.at(xs, ys);
                }
            }).step();
        };
    }
}
