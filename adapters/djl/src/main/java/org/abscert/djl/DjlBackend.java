package org.abscert.djl;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.abscert.certifier.probe.KinkRules;
import org.abscert.spi.Backend;
import org.abscert.spi.BackendException;
import org.abscert.spi.Evaluation;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.Precision;
import org.abscert.spi.SwitchTrace;
import org.abscert.spi.ir.Node;
import org.abscert.spi.ir.Op;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.TensorDecl;
import org.abscert.spi.ir.Window2d;

/**
 * The {@code djl-pytorch} backend: a procedure becomes NDArray operations on DJL's PyTorch engine, recorded
 * by DJL's {@link GradientCollector}, and the gradient is PyTorch's autograd result.
 *
 * <p>Kinks use PyTorch's own kernels, so the derivative at a kink is PyTorch's: relu → {@code torch.relu}
 * ({@link Activation#relu}), abs → {@code torch.abs}, max/min → binary {@code torch.max}/{@code torch.min}
 * ({@link NDArray#maximum}/{@link NDArray#minimum}), leaky_relu → {@code torch.leaky_relu} with the node's α
 * in double, hardtanh → {@code torch.clamp(u, −1, 1)} ({@link NDArray#clip}; DJL has no hardtanh and clamp
 * is what a DJL model uses to clip). The switch trace holds the values PyTorch computed: the arrays fed to
 * relu/abs/leaky_relu/clamp, {@code a − b} computed by PyTorch after broadcasting for max/min, and
 * {@code u + 1}, {@code u − 1} for hardtanh. Per-switch slopes are reported as NaN: PyTorch does not expose
 * which rule a kernel applied, so the certifier uses the probed rules.
 *
 * <p>PyTorch allows one gradient collector at a time in a process, so evaluations are serialized; each
 * runs in its own {@link NDManager} sub-manager, closed afterwards, so no native memory outlives a call. A
 * collector opened elsewhere in the process at the same moment (a DJL trainer's backward pass on another
 * thread) makes {@link #evaluate} fail with a {@link BackendException} rather than wait.
 */
public final class DjlBackend implements Backend {
    /** The backend's name on the command line. */
    public static final String NAME = "djl-pytorch";

    /** DJL's PyTorch gradient collector is process-wide: only one may be open at a time. */
    private static final Object COLLECTOR_LOCK = new Object();

    /** Every op of the IR, the convolutional ones on PyTorch's own conv/pool/batch-norm kernels. */
    private static final Set<Op> OPS = EnumSet.allOf(Op.class);

    private static final Set<Precision> PRECISIONS =
            java.util.Collections.unmodifiableSet(EnumSet.of(Precision.FLOAT32, Precision.FLOAT64, Precision.FLOAT16));

    /**
     * The derivatives PyTorch 2.7.1 applies at kinks through this backend, as measured (KinkRulesTest): relu′(0)
     * = 0, abs′(0) = 0, max and min split ties ½/½, leaky_relu_α′(0) = α (recorded at α = 0.01), and clamp —
     * this backend's hardtanh — passes the gradient at both ends, hardtanh′(−1) = hardtanh′(+1) = 1 (implied
     * |·| slopes +1 and −1; abs-consistent). torch.nn.functional.hardtanh would give 0 at ±1; DJL does not
     * offer it.
     */
    public static final KinkRules KINK_RULES = new KinkRules(0, 0, 0.5, 0.5, 0.5, 0.5, 0.01, 0.01, 1, 1);

    private final Engine engine;
    private final NDManager root;
    private final String version;

    DjlBackend(Engine engine) {
        this.engine = engine;
        this.root = engine.newBaseManager();
        this.version = PyTorchEngine.version(engine);
    }

    /** The backend on the started PyTorch engine (the same instance the provider hands out). */
    public static DjlBackend create() throws BackendException {
        return (DjlBackend) new DjlBackendProvider().backend();
    }

    @Override public String name() { return NAME; }

    @Override public String version() { return version; }

    /**
     * float32, float64 and float16 ({@code NDArray.toType(FLOAT16)}; every op of the IR runs on PyTorch's CPU
     * kernels in float16, measured by DjlHalfPrecisionTest). Not bfloat16: DJL 0.36.0's PyTorch JNI aborts the
     * process when it creates or converts to a BFLOAT16 array (also measured, in a child JVM), so it is
     * declared, never attempted.
     */
    @Override public Set<Precision> precisions() { return PRECISIONS; }

    /** PyTorch's CPU kernels accumulate float16 matrix products and reductions in float32. */
    @Override public Precision accumulation(Precision precision) { return precision.accumulation(); }

    @Override public Set<Op> supportedOps() { return OPS; }

    @Override public String description() {
        return "DJL " + version + " on CPU, reverse mode by DJL's GradientCollector (PyTorch autograd)";
    }

    @Override
    public Evaluation evaluate(Procedure procedure, Point point, Precision precision) throws BackendException {
        Optional<String> why = unsupported(procedure);
        if (why.isPresent()) throw new BackendException(why.get());
        if (!PRECISIONS.contains(precision))
            throw new BackendException("backend " + NAME + " does not offer " + precision + " (it offers " + PRECISIONS
                    + "; DJL's PyTorch JNI aborts on bfloat16 arrays)");
        try {
            point.check(procedure, "<point>");
        } catch (InvalidInputException e) {
            throw new BackendException(NAME + ": the point does not fit procedure '" + procedure.name() + "': " + e.getMessage(), e);
        }
        try {
            point.checkRepresentable(precision, "<point>");
        } catch (InvalidInputException e) {
            throw new BackendException(NAME + ": " + e.getMessage(), e);
        }
        Point p = point.rounded(precision);
        synchronized (COLLECTOR_LOCK) {
            try (NDManager m = root.newSubManager()) {
                return run(procedure, p, precision, m);
            } catch (RuntimeException e) {
                throw new BackendException(NAME + ": PyTorch failed on procedure '" + procedure.name() + "': " + e.getMessage(), e);
            }
        }
    }

    private Evaluation run(Procedure procedure, Point p, Precision precision, NDManager m) {
        Map<String, NDArray> values = new HashMap<>();
        List<TensorDecl> params = procedure.parameters();
        for (TensorDecl d : params) {
            NDArray a = NdArrays.create(m, p.parameters().get(d.name()).values(), d.shape(), precision);
            a.setRequiresGradient(true);
            values.put(d.name(), a);
        }
        for (TensorDecl d : procedure.data()) values.put(d.name(), NdArrays.create(m, p.data().get(d.name()).values(), d.shape(), precision));
        NDArray y;
        try (GradientCollector collector = engine.newGradientCollector()) {
            for (Node n : procedure.nodes()) values.put(n.id(), apply(n, values));
            y = values.get(procedure.output());
            collector.backward(y);
        }
        double value = NdArrays.doubles(y)[0];
        double[] gradient = new double[procedure.parameterSize()];
        for (TensorDecl d : params) {
            double[] g = NdArrays.doubles(values.get(d.name()).getGradient());
            System.arraycopy(g, 0, gradient, procedure.parameterOffset(d.name()), g.length);
        }
        return new Evaluation(NAME, precision, value, gradient, trace(procedure, switches(procedure, values)));
    }

    /** One elemental with DJL's PyTorch operations; kinks with PyTorch's own kernels (see the class comment). */
    private static NDArray apply(Node n, Map<String, NDArray> v) {
        NDArray a = v.get(n.arg(0));
        NDArray b = n.args().size() > 1 ? v.get(n.arg(1)) : null;
        return switch (n.op()) {
            case ADD -> a.add(b);
            case SUB -> a.sub(b);
            case MUL -> a.mul(b);
            case NEG -> a.neg();
            case SCALE -> a.mul(n.attribute("k"));
            case MATMUL -> a.matMul(b);
            case SUM -> a.sum();
            case MEAN -> a.mean();
            case ABS -> a.abs();
            case RELU -> Activation.relu(a);
            // Activation.leakyRelu takes α as a float; the node's α goes to torch.leaky_relu in double so that a
            // float64 evaluation differentiates exactly the procedure's function.
            case LEAKY_RELU -> JniUtils.leakyRelu((PtNDArray) a, n.attribute("alpha"));
            case MAX -> a.maximum(b);
            case MIN -> a.minimum(b);
            case HARDTANH -> a.clip(-1, 1);
            case SQUARE -> a.square();
            case EXP -> a.exp();
            case LOG -> a.log();
            case TANH -> Activation.tanh(a);
            case SIGMOID -> Activation.sigmoid(a);
            case SOFTPLUS -> Activation.softPlus(a);
            case MSE -> a.sub(b).square().mean();
            case SOFTMAX_CROSS_ENTROPY -> {
                int axis = a.getShape().dimension() - 1;
                NDArray rowLoss = a.logSoftmax(axis).mul(b).sum(new int[] {axis}).neg();
                yield rowLoss.mean();
            }
            // torch.conv2d, torch.max_pool2d (padding with −∞, so a padded cell never wins), torch.avg_pool2d with
            // count_include_pad, all in floor mode: the definitions of DESIGN.md "Convolutional ops and more"
            case CONV2D -> Conv2d.conv2d(a, b, n.args().size() > 2 ? v.get(n.arg(2)) : null, shape(n.pair("stride", ONE)),
                    shape(n.pair("padding", ZERO)), shape(n.pair("dilation", ONE)), (int) n.attribute("groups", 1)).singletonOrThrow();
            case MAX_POOL2D -> {
                int[] kernel = n.pair("kernel", ONE);
                yield Pool.maxPool2d(a, shape(kernel), shape(n.pair("stride", kernel)), shape(n.pair("padding", ZERO)), false);
            }
            case AVG_POOL2D -> {
                int[] kernel = n.pair("kernel", ONE);
                yield Pool.avgPool2d(a, shape(kernel), shape(n.pair("stride", kernel)), shape(n.pair("padding", ZERO)), false, true);
            }
            case GLOBAL_AVG_POOL2D -> Pool.globalAvgPool2d(a).reshape(a.getShape().get(0), a.getShape().get(1));
            case RESHAPE -> a.reshape(n.list("shape").stream().mapToLong(Integer::longValue).toArray());
            case FLATTEN -> a.reshape(a.getShape().get(0), -1);
            // training mode: PyTorch normalises with the batch's statistics and differentiates through them; the
            // running averages it updates are scratch arrays, not parameters
            case BATCH_NORM -> {
                long c = a.getShape().get(1);
                NDArray runningMean = a.getManager().zeros(new ai.djl.ndarray.types.Shape(c), a.getDataType());
                NDArray runningVar = a.getManager().ones(new ai.djl.ndarray.types.Shape(c), a.getDataType());
                yield BatchNorm.batchNorm(a, runningMean, runningVar, b, v.get(n.arg(2)), 1, 0.1f,
                        (float) n.attribute("eps", 1e-5), true).singletonOrThrow();
            }
            case BATCH_NORM_EVAL -> BatchNorm.batchNorm(a, v.get(n.arg(3)), v.get(n.arg(4)), b, v.get(n.arg(2)), 1, 0.1f,
                    (float) n.attribute("eps", 1e-5), false).singletonOrThrow();
        };
    }

    private static final int[] ONE = {1, 1}, ZERO = {0, 0};

    private static ai.djl.ndarray.types.Shape shape(int[] pair) { return new ai.djl.ndarray.types.Shape(pair[0], pair[1]); }

    /** The switching variables in the canonical numbering, from the arrays PyTorch computed. */
    private static double[] switches(Procedure procedure, Map<String, NDArray> v) {
        double[] s = new double[procedure.switchCount()];
        for (int i = 0; i < procedure.nodes().size(); i++) {
            Node n = procedure.node(i);
            if (!n.op().isKink()) continue;
            int off = procedure.switchOffset(i);
            if (procedure.switchesOf(i) == 0) continue;
            NDArray u = v.get(n.arg(0));
            switch (n.op()) {
                case ABS, RELU, LEAKY_RELU -> copy(NdArrays.doubles(u), s, off);
                case MAX, MIN -> copy(NdArrays.doubles(u.sub(v.get(n.arg(1)))), s, off);
                case HARDTANH -> {
                    double[] plus = NdArrays.doubles(u.add(1)), minus = NdArrays.doubles(u.sub(1));
                    for (int k = 0; k < plus.length; k++) {
                        s[off + 2 * k] = plus[k];
                        s[off + 2 * k + 1] = minus[k];
                    }
                }
                case MAX_POOL2D -> maxPoolSwitches(Window2d.of(procedure, i), NdArrays.doubles(u), precision(u), s, off);
                default -> throw new AssertionError(n.op());
            }
        }
        return s;
    }

    /**
     * The |·| slope PyTorch's max_pool2d applies at every zero switch of the fold: its backward gives a tie to the
     * first maximal cell in the window's scan order (measured by CnnOpsTest), which keeps m_{k−1}: c = +1.
     */
    public static final double MAX_POOL_TIE_SLOPE = 1.0;

    /**
     * A trace of switch values in the procedure's numbering, with the slope {@link #MAX_POOL_TIE_SLOPE} at every
     * zero switch of a max_pool2d node (a pool rule is a slope per fold step, so the trace carries it) and NaN
     * elsewhere (the certifier uses {@link #KINK_RULES} there).
     */
    public static SwitchTrace trace(Procedure procedure, double[] values) {
        double[] slopes = new double[values.length];
        java.util.Arrays.fill(slopes, Double.NaN);
        for (int i = 0; i < procedure.nodes().size(); i++) {
            if (procedure.node(i).op() != Op.MAX_POOL2D) continue;
            int off = procedure.switchOffset(i);
            for (int k = off; k < off + procedure.switchesOf(i); k++) if (values[k] == 0) slopes[k] = MAX_POOL_TIE_SLOPE;
        }
        return new SwitchTrace(values, slopes);
    }

    /**
     * The fold switches m_{k−1} − e_k of max_pool2d (DESIGN.md "Switch numbering"). PyTorch's kernel keeps its
     * running maximum to itself, so the switches are computed here from the pool's input exactly as PyTorch
     * holds it, in the array's precision: the running maximum is a cell value, and the difference of two
     * values is rounded once to that precision (zero exactly when the cells are equal).
     *
     * @param input the pool's input [N, C, H, W] row-major, widened to double
     * @param s     receives the switches from index {@code off}
     */
    public static void maxPoolSwitches(Window2d w, double[] input, Precision precision, double[] s, int off) {
        w.foldSwitches(input, precision, s, off);
    }

    private static Precision precision(NDArray a) { return NdArrays.precision(a.getDataType()); }

    private static void copy(double[] from, double[] to, int off) { System.arraycopy(from, 0, to, off, from.length); }

}
