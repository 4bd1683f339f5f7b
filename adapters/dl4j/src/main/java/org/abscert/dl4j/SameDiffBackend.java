package org.abscert.dl4j;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.abscert.dl4j.model.NdArrays;
import org.abscert.spi.BackendException;
import org.abscert.spi.Evaluation;
import org.abscert.spi.Precision;
import org.abscert.spi.SwitchTrace;
import org.abscert.spi.ir.Node;
import org.abscert.spi.ir.Op;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.ir.TensorDecl;
import org.abscert.spi.ir.Window2d;
import org.nd4j.autodiff.loss.LossReduce;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.enums.WeightsFormat;
import org.nd4j.linalg.api.ops.impl.layers.convolution.Pooling2D;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Pooling2DConfig;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The {@code dl4j-samediff} backend: any procedure becomes a SameDiff graph, evaluated and differentiated by
 * SameDiff's own backpropagation in FLOAT or DOUBLE (the data type of every variable and constant is set
 * explicitly, never taken from ND4J's global default).
 *
 * <p>Op mapping: every op is a SameDiff op. {@code mse} and {@code softmax_cross_entropy} use SameDiff's loss
 * ops with {@code MEAN_BY_NONZERO_WEIGHT_COUNT} (mean over all elements, resp. over rows), which matches the
 * procedure's definitions; when the target depends on a parameter they are composed from SameDiff ops
 * (square/mean, logSoftmax/sum/div) so that the target is differentiated too, and so is a softmax cross-entropy
 * of a single logit, whose fused gradient op fails in this DL4J release. {@code matmul} of a 2-D by a 1-D
 * tensor reshapes the vector to a column; a 1×1 by 1×1 product, on which SameDiff's matmul backpropagation
 * fails, is SameDiff's element-wise product of the two. For {@code max}/{@code min} with operands of different
 * shapes, each operand is first broadcast by adding a zero tensor of the result's shape, because SameDiff's
 * {@code minimum} backpropagation does not reduce broadcast gradients back to the operand's shape.
 *
 * <p>Switch trace: the variables feeding relu, leaky_relu and abs as SameDiff computed them; for max/min the
 * SameDiff difference {@code a − b}; for hardtanh {@code u + 1} and {@code u − 1} computed by SameDiff.
 * Per-switch kink slopes are not observable (NaN); see {@link Dl4jKinkRules#SAMEDIFF} for the measured rules.
 *
 * <p>Procedures with an empty tensor (a dimension 0) are {@linkplain #unsupported unsupported}: SameDiff cannot
 * hold one.
 *
 * <p>Thread-safe: {@link #evaluate} is synchronized (SameDiff graphs are not safe for concurrent use).
 */
public final class SameDiffBackend extends Dl4jBackend<SameDiffBackend.Graph> {
    /** The backend's name. */
    public static final String NAME = "dl4j-samediff";
    private static final int CACHE = 32;

    SameDiffBackend() throws BackendException {
        super(NAME, CACHE);
    }

    /** Every op: the convolutional ones on SameDiff's cnn ops (conv2d, max/avg pooling) and its reductions. */
    @Override public Set<Op> supportedOps() { return EnumSet.allOf(Op.class); }

    @Override public String description() { return "Deeplearning4j SameDiff graph, SameDiff backpropagation (ND4J native CPU)"; }

    /**
     * Besides the ops, refuses procedures with a tensor of zero elements (a dimension 0): SameDiff cannot
     * create an empty variable or placeholder ("Empty arrays cannot be used when creating variables").
     */
    @Override
    public Optional<String> unsupported(Procedure procedure) {
        Optional<String> ops = super.unsupported(procedure);
        if (ops.isPresent()) return ops;
        for (Node n : procedure.nodes()) {
            if (n.op() == Op.AVG_POOL2D && (n.pair("padding", new int[] {0, 0})[0] != 0 || n.pair("padding", new int[] {0, 0})[1] != 0))
                return Optional.of("backend " + NAME + ": SameDiff's avgpool2d_bp divides by the cells inside the input while its "
                        + "forward counts padded cells (as the IR does), so node '" + n.id() + "' (avg_pool2d with padding) would get a "
                        + "wrong gradient");
            if (n.op() == Op.CONV2D && n.attribute("groups", 1) != 1)
                return Optional.of("backend " + NAME + ": SameDiff's conv2d has no groups, but node '" + n.id() + "' has groups "
                        + (int) n.attribute("groups", 1));
        }
        List<String> ids = new ArrayList<>();
        for (TensorDecl d : procedure.parameters()) ids.add(d.name());
        for (TensorDecl d : procedure.data()) ids.add(d.name());
        for (Node n : procedure.nodes()) ids.add(n.id());
        for (String id : ids) {
            Shape s = procedure.shape(id);
            if (s.size() == 0)
                return Optional.of("backend " + NAME + ": SameDiff cannot hold an empty tensor, but '" + id + "' has shape " + s);
        }
        return Optional.empty();
    }

    @Override
    Graph build(Procedure procedure, Precision precision) { return new Graph(procedure, NdArrays.dataType(precision)); }

    @Override
    Evaluation run(Graph graph, Procedure procedure, Point point, Precision precision) {
        return graph.run(procedure, point, precision);
    }

    /** One procedure as a SameDiff graph in one data type. Holds no reference to the procedure. */
    static final class Graph {
        private final SameDiff sd = SameDiff.create();
        private final DataType type;
        /** Procedure id → SameDiff variable name. */
        private final Map<String, String> names = new HashMap<>();
        private final List<String> parameterVars = new ArrayList<>();
        /** Per switch-bearing node, in node order: the variables whose values are its switches. */
        private final List<String[]> switchVars = new ArrayList<>();
        private final String output;
        /** Whether the output depends on some parameter; SameDiff refuses to differentiate a constant. */
        private final boolean differentiable;

        Graph(Procedure p, DataType type) {
            this.type = type;
            Set<String> dependsOnParameters = new HashSet<>();
            for (TensorDecl d : p.parameters()) {
                String v = "p" + names.size();
                sd.var(v, Nd4j.zeros(type, dims(d.shape())));
                names.put(d.name(), v);
                parameterVars.add(v);
                dependsOnParameters.add(d.name());
            }
            for (TensorDecl d : p.data()) {
                String v = "d" + names.size();
                sd.placeHolder(v, type, dims(d.shape()));
                names.put(d.name(), v);
            }
            for (int k = 0; k < p.nodes().size(); k++) {
                Node n = p.node(k);
                String id = "n" + k;
                SDVariable out = build(n, id, p, dependsOnParameters);
                names.put(n.id(), out.name());
                for (String a : n.args()) if (dependsOnParameters.contains(a)) dependsOnParameters.add(n.id());
            }
            this.output = names.get(p.output());
            this.differentiable = dependsOnParameters.contains(p.output());
            sd.setLossVariables(output);
        }

        private SDVariable v(String id) { return sd.getVariable(names.get(id)); }

        private SDVariable build(Node n, String id, Procedure p, Set<String> paramDependent) {
            SDVariable a = v(n.arg(0));
            SDVariable b = n.args().size() > 1 ? v(n.arg(1)) : null;
            Shape out = p.shape(n.id());
            return switch (n.op()) {
                case ADD -> a.add(id, b);
                case SUB -> a.sub(id, b);
                case MUL -> a.mul(id, b);
                case NEG -> a.neg(id);
                case SCALE -> a.mul(id, n.attribute("k"));
                case MATMUL -> {
                    Shape as = p.shape(n.arg(0)), bs = p.shape(n.arg(1));
                    boolean vector = bs.rank() == 1;
                    SDVariable right = vector ? b.reshape(bs.dim(0), 1) : b;
                    String name = vector ? id + "_col" : id;
                    // SameDiff's matmul_bp fails on a 1×1 by 1×1 product ("NDArray::mulRowVector: wrong
                    // arguments"); that product is a single multiplication, so SameDiff's element-wise mul
                    // computes the same value and its own backpropagation the same gradient
                    SDVariable product = as.dim(0) == 1 && as.dim(1) == 1 && (vector || bs.dim(1) == 1)
                            ? a.mul(name, right) : sd.mmul(name, a, right);
                    yield vector ? sd.reshape(id, product, out.dim(0)) : product;
                }
                case SUM -> a.sum(id);
                case MEAN -> a.mean(id);
                case ABS -> {
                    switchVars.add(new String[] {a.name()});
                    yield sd.math().abs(id, a);
                }
                case RELU -> {
                    switchVars.add(new String[] {a.name()});
                    yield sd.nn().relu(id, a, 0.0);
                }
                case LEAKY_RELU -> {
                    switchVars.add(new String[] {a.name()});
                    yield sd.nn().leakyRelu(id, a, n.attribute("alpha"));
                }
                case MAX, MIN -> {
                    SDVariable x = broadcastTo(a, p.shape(n.arg(0)), out, id + "_a");
                    SDVariable y = broadcastTo(b, p.shape(n.arg(1)), out, id + "_b");
                    switchVars.add(new String[] {x.sub(id + "_switch", y).name()});
                    yield n.op() == Op.MAX ? sd.math().max(id, x, y) : sd.math().min(id, x, y);
                }
                case HARDTANH -> {
                    switchVars.add(new String[] {a.add(id + "_plus", 1.0).name(), a.sub(id + "_minus", 1.0).name()});
                    yield sd.nn().hardTanh(id, a);
                }
                case SQUARE -> sd.math().square(id, a);
                case EXP -> sd.math().exp(id, a);
                case LOG -> sd.math().log(id, a);
                case TANH -> sd.math().tanh(id, a);
                case SIGMOID -> sd.nn().sigmoid(id, a);
                case SOFTPLUS -> {
                    // SameDiff's softplus computes log(1 + eᶻ) as it stands, +∞ from z ≈ 89 in float32 (the function is z
                    // there) and a NaN derivative; computed as r + log1p(exp(z − 2r)) with r = relu(z), where z − 2r = −|z|
                    // ≤ 0 never overflows. The kink of relu cancels: at z = 0 the derivative SameDiff forms is
                    // relu′(0) + ½·(1 − 2·relu′(0)) = ½ whatever relu′(0) is, so softplus stays a smooth op without switches
                    SDVariable r = sd.nn().relu(id + "_pos", a, 0.0);
                    SDVariable negAbs = a.sub(id + "_negabs", r.mul(id + "_twopos", 2.0));
                    yield r.add(id, sd.math().log1p(id + "_tail", sd.math().exp(id + "_exp", negAbs)));
                }
                case MSE -> {
                    Shape s = p.shape(n.arg(0));
                    SDVariable pred = s.rank() == 0 ? a.reshape(1) : a, target = s.rank() == 0 ? b.reshape(1) : b;
                    if (paramDependent.contains(n.arg(1))) yield sd.math().square(pred.sub(target)).mean(id);
                    yield sd.loss().meanSquaredError(id, target, pred, null, LossReduce.MEAN_BY_NONZERO_WEIGHT_COUNT);
                }
                case SOFTMAX_CROSS_ENTROPY -> {
                    Shape s = p.shape(n.arg(0));
                    SDVariable logits = s.rank() == 1 ? a.reshape(1, s.dim(0)) : a;
                    SDVariable onehot = s.rank() == 1 ? b.reshape(1, s.dim(0)) : b;
                    // SameDiff's fused loss does not differentiate the target, and its gradient op fails on a
                    // single logit ("number of input dimensions is too big"): then the loss is composed from
                    // SameDiff's log-softmax over the last dimension (the classes) as −(Σ onehot ⊙ log-softmax)
                    // / rows, a full sum, because SameDiff cannot reduce along a dimension of size 1 (a single
                    // class), and the mean over rows of the per-row sums is that total divided by the rows
                    if (paramDependent.contains(n.arg(1)) || s.size() == 1) {
                        int rows = s.rank() == 1 ? 1 : s.dim(0);
                        yield sd.nn().logSoftmax(logits).mul(onehot).sum().neg().div(id, rows);
                    }
                    yield sd.loss().softmaxCrossEntropy(id, onehot, logits, null, LossReduce.MEAN_BY_NONZERO_WEIGHT_COUNT, 0.0);
                }
                case CONV2D -> {
                    int[] st = n.pair("stride", ONE), pad = n.pair("padding", ZERO), dil = n.pair("dilation", ONE);
                    Shape w = p.shape(n.arg(1));
                    Conv2DConfig c = Conv2DConfig.builder().kH(w.dim(2)).kW(w.dim(3)).sH(st[0]).sW(st[1]).pH(pad[0]).pW(pad[1])
                            .dH(dil[0]).dW(dil[1]).paddingMode(PaddingMode.VALID).dataFormat(Conv2DConfig.NCHW)
                            .weightsFormat(WeightsFormat.YXIO).build();
                    // conv2d_bp of this release fails its shape validation for OIYX weights, so the IR's [O, C, kh, kw]
                    // weight is permuted (SameDiff's permute, differentiated by SameDiff) to the default [kh, kw, C, O]
                    SDVariable k = sd.permute(id + "_yxio", b, 2, 3, 1, 0);
                    yield n.args().size() > 2 ? sd.cnn().conv2d(id, a, k, v(n.arg(2)), c) : sd.cnn().conv2d(id, a, k, c);
                }
                case MAX_POOL2D -> {
                    // SameDiff keeps the running maximum to itself: the switches are taken from the pool's input
                    switchVars.add(new String[] {a.name()});
                    yield sd.cnn().maxPooling2d(id, a, pooling(n, Pooling2D.Pooling2DType.MAX));
                }
                case AVG_POOL2D -> sd.cnn().avgPooling2d(id, a, pooling(n, Pooling2D.Pooling2DType.AVG));
                case GLOBAL_AVG_POOL2D -> a.mean(id, 2, 3);
                case RESHAPE -> sd.reshape(id, a, dims(out));
                case FLATTEN -> sd.reshape(id, a, dims(out));
                // composed from SameDiff's reductions and arithmetic, so that SameDiff differentiates through the
                // batch statistics (training mode): mean and biased variance over every axis but 1
                case BATCH_NORM -> {
                    int[] axes = p.shape(n.arg(0)).rank() == 4 ? new int[] {0, 2, 3} : new int[] {0};
                    SDVariable mean = a.mean(id + "_mean", true, axes);
                    SDVariable centred = a.sub(id + "_centred", mean);
                    SDVariable var = sd.math().square(centred).mean(id + "_var", true, axes);
                    yield normalised(id, centred, var, v(n.arg(1)), v(n.arg(2)), p.shape(n.arg(0)), n.attribute("eps", 1e-5));
                }
                case BATCH_NORM_EVAL -> {
                    Shape xs = p.shape(n.arg(0));
                    SDVariable centred = a.sub(id + "_centred", channelShaped(v(n.arg(3)), xs, id + "_m"));
                    yield normalised(id, centred, channelShaped(v(n.arg(4)), xs, id + "_v"), v(n.arg(1)), v(n.arg(2)), xs,
                            n.attribute("eps", 1e-5));
                }
            };
        }

        private static final int[] ONE = {1, 1}, ZERO = {0, 0};

        /**
         * The pooling geometry of a node. Average pools count padded cells in the divisor (DESIGN.md): in this
         * release the kernel reads that choice from {@code extra} = 1 (extraParam0), not from {@code divisor},
         * measured against the tape by SameDiffCnnTest.
         */
        private static Pooling2DConfig pooling(Node n, Pooling2D.Pooling2DType type) {
            int[] k = n.pair("kernel", ONE), st = n.pair("stride", k), pad = n.pair("padding", ZERO);
            return Pooling2DConfig.builder().kH(k[0]).kW(k[1]).sH(st[0]).sW(st[1]).pH(pad[0]).pW(pad[1]).dH(1).dW(1)
                    .type(type).divisor(Pooling2D.Divisor.INCLUDE_PADDING).extra(1.0).paddingMode(PaddingMode.VALID).isNHWC(false).build();
        }

        /** γ·(x − mean)/sqrt(var + eps) + β with per-channel γ, β (and var, already channel-shaped). */
        private SDVariable normalised(String id, SDVariable centred, SDVariable var, SDVariable gamma, SDVariable beta, Shape xs,
                                      double eps) {
            SDVariable scale = sd.math().rsqrt(var.add(id + "_veps", eps));
            SDVariable y = centred.mul(id + "_xhat", scale).mul(id + "_scaled", channelShaped(gamma, xs, id + "_g"));
            return y.add(id, channelShaped(beta, xs, id + "_b"));
        }

        /** A per-channel [C] vector reshaped to broadcast against x [N,C] or [N,C,H,W]. */
        private SDVariable channelShaped(SDVariable c, Shape xs, String name) {
            return xs.rank() == 4 ? sd.reshape(name, c, 1, xs.dim(1), 1, 1) : sd.reshape(name, c, 1, xs.dim(1));
        }

        private SDVariable broadcastTo(SDVariable x, Shape from, Shape to, String name) {
            if (from.equals(to)) return x;
            return x.add(name, sd.constant(name + "_zeros", Nd4j.zeros(type, dims(to))));
        }

        Evaluation run(Procedure p, Point point, Precision precision) {
            for (TensorDecl d : p.parameters())
                sd.getVariable(names.get(d.name())).setArray(NdArrays.array(point.value(d.name()).values(), d.shape(), type));
            Map<String, INDArray> feed = new HashMap<>();
            for (TensorDecl d : p.data())
                feed.put(names.get(d.name()), NdArrays.array(point.value(d.name()).values(), d.shape(), type));
            List<String> outputs = new ArrayList<>();
            outputs.add(output);
            for (String[] sv : switchVars)
                for (String s : sv) if (!outputs.contains(s) && !isInput(s)) outputs.add(s);
            // a constant output has gradient zero; SameDiff only evaluates it
            OutAndGrad og = differentiable
                    ? ChatterFilter.quiet(() -> sd.calculateGradientsAndOutputs(feed, outputs, parameterVars))
                    : new OutAndGrad(sd.output(feed, outputs), Map.of());
            double value = og.getOutputs().get(output).getDouble(0);
            double[] gradient = new double[p.parameterSize()];
            for (TensorDecl d : p.parameters()) {
                INDArray g = og.getGradients().get(names.get(d.name()));
                if (g == null) continue; // the output does not depend on this parameter
                double[] gv = NdArrays.values(g);
                if (gv.length != d.shape().size())
                    throw new IllegalStateException("SameDiff returned a gradient of shape " + java.util.Arrays.toString(g.shape())
                            + " for parameter '" + d.name() + "' of shape " + d.shape());
                System.arraycopy(gv, 0, gradient, p.parameterOffset(d.name()), gv.length);
            }
            double[] switches = new double[p.switchCount()];
            int at = 0;
            int node = -1;
            for (String[] sv : switchVars) {
                node = nextSwitchNode(p, node);
                if (p.node(node).op() == Op.MAX_POOL2D) {
                    INDArray in = isInput(sv[0]) ? inputValue(sv[0], feed) : og.getOutputs().get(sv[0]);
                    at = MaxPoolSwitches.fold(Window2d.of(p, node), NdArrays.values(in), precision, switches, at);
                    continue;
                }
                double[][] parts = new double[sv.length][];
                for (int j = 0; j < sv.length; j++) {
                    INDArray arr = isInput(sv[j]) ? inputValue(sv[j], feed) : og.getOutputs().get(sv[j]);
                    parts[j] = NdArrays.values(arr);
                }
                for (int e = 0; e < parts[0].length; e++)
                    for (double[] part : parts) switches[at++] = part[e];
            }
            if (at != switches.length) throw new IllegalStateException(at + " switch values for " + switches.length + " switches");
            return new Evaluation(NAME, precision, value, gradient, MaxPoolSwitches.trace(p, switches));
        }

        /** The next node after {@code node} that has switches (the nodes {@link #switchVars} lists, in order). */
        private static int nextSwitchNode(Procedure p, int node) {
            for (int i = node + 1; i < p.nodes().size(); i++) if (p.node(i).op().isKink()) return i;
            throw new IllegalStateException("more switch variables than kink nodes");
        }

        private boolean isInput(String var) { return var.startsWith("p") || var.startsWith("d"); }

        private INDArray inputValue(String var, Map<String, INDArray> feed) {
            return var.startsWith("p") ? sd.getVariable(var).getArr() : feed.get(var);
        }

        private static long[] dims(Shape s) {
            long[] d = new long[s.rank()];
            for (int i = 0; i < d.length; i++) d[i] = s.dim(i);
            return d;
        }
    }
}
