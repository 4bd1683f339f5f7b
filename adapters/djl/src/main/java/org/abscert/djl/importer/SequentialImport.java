package org.abscert.djl.importer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.abscert.djl.NdArrays;
import org.abscert.djl.PyTorchEngine;
import org.abscert.spi.BackendException;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Node;
import org.abscert.spi.ir.Op;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.ir.Tensor;
import org.abscert.spi.ir.TensorDecl;
import org.abscert.spi.InvalidInputException;

/**
 * Imports an initialized DJL {@link SequentialBlock} of {@link Linear} layers and element-wise activations into a
 * procedure, the dense network of {@link org.abscert.spi.ir.Mlp} with the same ids: {@code xw<l>} and
 * {@code z<l>} per layer, {@code h<l>} for its activation, then the loss ({@code loss}).
 *
 * <p>DJL's activations are {@link LambdaBlock}s whose function cannot be inspected, so an activation is
 * recognised by its values: the block runs on a fixed vector of 64 inputs from −1000 to 1000 that includes
 * every kink (0, ±1), points on both sides of each and large magnitudes (so that relu6, say, is not taken for
 * relu), and must reproduce exactly one of identity, relu, leaky_relu (α read off at −1), abs, hardtanh
 * ({@code clip(−1, 1)}), tanh, sigmoid or softplus as PyTorch computes them — bit for bit for the
 * piecewise-linear ones, to 1e-6 for the smooth ones. A name (DJL's {@code ReLU},
 * {@code LeakyReLU}, …) is never trusted on its own. Nested {@code SequentialBlock}s are flattened; any other
 * block is an error naming it.
 */
public final class SequentialImport {
    private static final float[] PROBE = probeInputs();

    private SequentialImport() {}

    /**
     * Imports the block with the given loss and batch size; the point holds the block's current parameters and
     * zero data.
     *
     * @throws ModelImportException naming the first block or parameter that cannot be imported
     */
    public static ImportedModel of(SequentialBlock block, LossSpec loss, int batch) throws ModelImportException {
        if (batch <= 0) throw new IllegalArgumentException("batch must be positive, got " + batch);
        List<Step> steps = new ArrayList<>();
        try (NDManager probe = PyTorchEngine.get().newBaseManager()) {
            flatten(block, "", steps, probe);
        } catch (BackendException e) {
            throw new ModelImportException("cannot recognise activations without the PyTorch engine: " + e.getMessage(), e);
        }
        if (steps.stream().noneMatch(s -> s instanceof Step.Dense))
            throw new ModelImportException("the SequentialBlock has no Linear layer");
        return build(steps, loss, batch);
    }

    private static void flatten(Block block, String prefix, List<Step> steps, NDManager probe) throws ModelImportException {
        int i = 0;
        for (Pair<String, Block> child : block.getChildren()) {
            String where = prefix + "children[" + i++ + "] '" + child.getKey() + "'";
            Block b = child.getValue();
            if (b instanceof SequentialBlock) {
                flatten(b, where + ".", steps, probe);
            } else if (b instanceof Linear) {
                steps.add(dense(where, b, 1 + (int) steps.stream().filter(s -> s instanceof Step.Dense).count()));
            } else if (b instanceof LambdaBlock) {
                steps.add(recognise(where, b, probe));
            } else {
                throw new ModelImportException("block " + where + " (" + b.getClass().getName() + ") is not supported; "
                        + "an imported SequentialBlock may hold only Linear layers, element-wise activation LambdaBlocks "
                        + "and nested SequentialBlocks");
            }
        }
    }

    private static Step.Dense dense(String where, Block b, int layer) throws ModelImportException {
        Parameter w = b.getParameters().get("weight");
        Parameter bias = b.getParameters().get("bias");
        if (w == null) throw new ModelImportException("Linear block " + where + " has no 'weight' parameter");
        for (Parameter p : bias == null ? List.of(w) : List.of(w, bias)) {
            if (!p.isInitialized())
                throw new ModelImportException("parameter '" + p.getName() + "' of Linear block " + where
                        + " is not initialized; initialize the block (block.initialize or trainer.initialize) before importing");
        }
        long[] ws = w.getArray().getShape().getShape();
        if (ws.length != 2) throw new ModelImportException("Linear block " + where + " has a weight of shape "
                + w.getArray().getShape() + ", expected [out, in]");
        int out = Math.toIntExact(ws[0]), in = Math.toIntExact(ws[1]);
        ParameterBinding wb = new ParameterBinding("W" + layer, w, out, in, true);
        Optional<ParameterBinding> bb = Optional.empty();
        if (bias != null) {
            if (bias.getArray().getShape().size() != out)
                throw new ModelImportException("Linear block " + where + " has a bias of shape " + bias.getArray().getShape()
                        + ", expected [" + out + "]");
            bb = Optional.of(new ParameterBinding("b" + layer, bias, out, 1, false));
        }
        return new Step.Dense(where, b, layer, wb, bb);
    }

    /** Recognises an activation by its values on {@link #PROBE} (see the class comment). */
    static Step.Activation recognise(String where, Block b, NDManager m) throws ModelImportException {
        NDArray x = m.create(PROBE, new ai.djl.ndarray.types.Shape(1, PROBE.length));
        float[] y;
        try {
            NDList out = b.forward(new ParameterStore(m, false), new NDList(x), false);
            if (out.size() != 1 || !out.singletonOrThrow().getShape().equals(x.getShape())
                    || out.singletonOrThrow().getDataType() != DataType.FLOAT32)
                throw new ModelImportException("block " + where + " is not an element-wise activation (its output on a [1, "
                        + PROBE.length + "] float32 input is " + out.getShapes()[0] + ")");
            y = out.singletonOrThrow().toFloatArray();
        } catch (RuntimeException e) {
            throw new ModelImportException("block " + where + " failed on a test input and is not a recognised activation: " + e.getMessage(), e);
        }
        int minusOne = indexOf(-1f);
        float alpha = -y[minusOne];
        Map<String, UnaryOperator<NDArray>> candidates = new LinkedHashMap<>();
        candidates.put("identity", a -> a);
        candidates.put("relu", Activation::relu);
        if (alpha > 0 && alpha < 1) candidates.put("leaky_relu", a -> JniUtils.leakyRelu((PtNDArray) a, alpha));
        candidates.put("abs", NDArray::abs);
        candidates.put("hardtanh", a -> a.clip(-1, 1));
        candidates.put("tanh", Activation::tanh);
        candidates.put("sigmoid", Activation::sigmoid);
        candidates.put("softplus", Activation::softPlus);
        List<String> matches = new ArrayList<>();
        for (Map.Entry<String, UnaryOperator<NDArray>> c : candidates.entrySet()) {
            float[] expect = c.getValue().apply(x).toFloatArray();
            boolean smooth = switch (c.getKey()) { case "tanh", "sigmoid", "softplus" -> true; default -> false; };
            if (agrees(y, expect, smooth)) matches.add(c.getKey());
        }
        if (matches.size() != 1)
            throw new ModelImportException("block " + where + " (LambdaBlock '" + ((LambdaBlock) b).getName() + "') is not a recognised activation: "
                    + (matches.isEmpty() ? "its values match none of identity, relu, leaky_relu, abs, hardtanh, tanh, sigmoid, softplus"
                    : "its values match several of " + matches));
        String name = matches.get(0);
        Optional<Op> op = name.equals("identity") ? Optional.empty() : Op.byJsonName(name);
        return new Step.Activation(where, b, op, name.equals("leaky_relu") ? alpha : 0);
    }

    private static boolean agrees(float[] got, float[] expect, boolean smooth) {
        for (int i = 0; i < got.length; i++) {
            if (smooth ? !(Math.abs(got[i] - expect[i]) <= 1e-6 * Math.max(1, Math.abs(expect[i])))
                    : Float.floatToIntBits(got[i]) != Float.floatToIntBits(expect[i]) && got[i] != expect[i])
                return false;
        }
        return true;
    }

    private static int indexOf(float v) {
        for (int i = 0; i < PROBE.length; i++) if (PROBE[i] == v) return i;
        throw new AssertionError(v);
    }

    /** Kinks and their neighbourhoods first, then reproducible pseudo-random points in [−6, 6]. */
    private static float[] probeInputs() {
        float tiny = 0x1p-20f;
        float[] fixed = {-1000, -100, -30, -8, -4, -3, -2, -1.5f, -1 - tiny, -1, -1 + tiny, -0.75f, -0.5f, -0.25f,
                -0.125f, -tiny, 0, tiny, 0.125f, 0.25f, 0.5f, 0.75f, 1 - tiny, 1, 1 + tiny, 1.5f, 2, 3, 4, 6.5f, 8, 30, 100, 1000};
        float[] p = new float[64];
        System.arraycopy(fixed, 0, p, 0, fixed.length);
        Random r = new Random(64);
        for (int i = fixed.length; i < p.length; i++) p[i] = (float) (12 * r.nextDouble() - 6);
        return p;
    }

    private static ImportedModel build(List<Step> steps, LossSpec loss, int batch) throws ModelImportException {
        List<TensorDecl> params = new ArrayList<>();
        List<ParameterBinding> bindings = new ArrayList<>();
        List<Node> nodes = new ArrayList<>();
        Map<String, Tensor> values = new LinkedHashMap<>();
        String h = "X";
        int width = -1, input = -1, layer = 0, activations = 0;
        Precision precision = null;
        for (Step s : steps) {
            if (s instanceof Step.Dense d) {
                if (width >= 0 && d.in() != width)
                    throw new ModelImportException("Linear block " + d.where() + " takes " + d.in() + " inputs but the previous layer gives " + width);
                if (input < 0) input = d.in();
                layer = d.layer();
                activations = 0;
                List<ParameterBinding> own = new ArrayList<>(List.of(d.weight()));
                d.bias().ifPresent(own::add);
                for (ParameterBinding pb : own) {
                    Precision p = NdArrays.precision(pb.parameter().getArray().getDataType());
                    if (precision != null && p != precision)
                        throw new ModelImportException("parameter '" + pb.parameter().getName() + "' of " + d.where() + " is "
                                + p + " while earlier parameters are " + precision);
                    precision = p;
                    Shape shape = pb.transposed() ? Shape.of(pb.cols(), pb.rows()) : Shape.of(pb.rows());
                    params.add(new TensorDecl(pb.name(), shape));
                    bindings.add(pb);
                    values.put(pb.name(), new Tensor(shape, pb.values()));
                }
                String z = "z" + layer;
                if (d.bias().isPresent()) {
                    nodes.add(new Node("xw" + layer, Op.MATMUL, h, "W" + layer));
                    nodes.add(new Node(z, Op.ADD, "xw" + layer, "b" + layer));
                } else {
                    nodes.add(new Node(z, Op.MATMUL, h, "W" + layer));
                }
                h = z;
                width = d.out();
            } else if (s instanceof Step.Activation a && a.op().isPresent()) {
                if (width < 0)
                    throw new ModelImportException("activation " + a.where() + " comes before the first Linear layer; "
                            + "an imported network starts with a Linear layer");
                String id = "h" + layer + (activations++ == 0 ? "" : "_" + activations);
                Map<String, Double> attrs = a.op().get() == Op.LEAKY_RELU ? Map.of("alpha", a.alpha()) : Map.of();
                nodes.add(new Node(id, a.op().get(), List.of(h), attrs));
                h = id;
            }
        }
        String out = loss.weight() == 1 ? "loss" : "unscaled_loss";
        switch (loss.name()) {
            case "mse" -> nodes.add(new Node(out, Op.MSE, h, "Y"));
            case "softmax_cross_entropy" -> nodes.add(new Node(out, Op.SOFTMAX_CROSS_ENTROPY, h, "Y"));
            default -> {
                nodes.add(new Node("err", Op.SUB, h, "Y"));
                nodes.add(new Node("abserr", Op.ABS, "err"));
                nodes.add(new Node(out, Op.MEAN, "abserr"));
            }
        }
        if (loss.weight() != 1) nodes.add(new Node("loss", Op.SCALE, List.of(out), Map.of("k", loss.weight())));
        List<TensorDecl> data = List.of(new TensorDecl("X", Shape.of(batch, input)), new TensorDecl("Y", Shape.of(batch, width)));
        Procedure procedure;
        try {
            procedure = Procedure.create("<djl>", "djl-sequential", params, data, nodes, "loss");
        } catch (InvalidInputException e) {
            throw new ModelImportException("the imported network is not a valid procedure: " + e.getMessage(), e);
        }
        Map<String, Tensor> zeros = new LinkedHashMap<>();
        for (TensorDecl d : data) zeros.put(d.name(), new Tensor(d.shape(), new double[d.shape().size()]));
        return new ImportedModel(procedure, new Point(values, zeros), bindings, steps, loss, precision);
    }
}
