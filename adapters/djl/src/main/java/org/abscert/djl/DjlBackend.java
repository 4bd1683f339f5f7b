package org.abscert.djl;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Activation;
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

    private static final Set<Op> OPS = EnumSet.allOf(Op.class);

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

    @Override public Set<Precision> precisions() { return EnumSet.allOf(Precision.class); }

    @Override public Set<Op> supportedOps() { return OPS; }

    @Override public String description() {
        return "DJL " + version + " on CPU, reverse mode by DJL's GradientCollector (PyTorch autograd)";
    }

    @Override
    public Evaluation evaluate(Procedure procedure, Point point, Precision precision) throws BackendException {
        Optional<String> why = unsupported(procedure);
        if (why.isPresent()) throw new BackendException(why.get());
        try {
            point.check(procedure, "<point>");
        } catch (InvalidInputException e) {
            throw new BackendException(NAME + ": the point does not fit procedure '" + procedure.name() + "': " + e.getMessage(), e);
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
        return new Evaluation(NAME, precision, value, gradient, SwitchTrace.ofValues(switches(procedure, values)));
    }

    /** One elemental with DJL's PyTorch operations; kinks with PyTorch's own kernels (see the class comment). */
    private static NDArray apply(Node n, Map<String, NDArray> v) {
        NDArray a = v.get(n.arg(0));
        NDArray b = n.op().arity() > 1 ? v.get(n.arg(1)) : null;
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
        };
    }

    /** The switching variables in the canonical numbering, from the arrays PyTorch computed. */
    private static double[] switches(Procedure procedure, Map<String, NDArray> v) {
        double[] s = new double[procedure.switchCount()];
        for (int i = 0; i < procedure.nodes().size(); i++) {
            Node n = procedure.node(i);
            if (!n.op().isKink()) continue;
            int off = procedure.switchOffset(i);
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
                default -> throw new AssertionError(n.op());
            }
        }
        return s;
    }

    private static void copy(double[] from, double[] to, int off) { System.arraycopy(from, 0, to, off, from.length); }

}
