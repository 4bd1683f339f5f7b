package org.abscert.djl.importer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.pooling.Pool;
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
import org.abscert.spi.ir.Window2d;
import org.abscert.spi.InvalidInputException;

/**
 * Imports an initialized DJL {@link SequentialBlock} into a procedure. Dense networks become the network of
 * {@link org.abscert.spi.ir.Mlp} with the same ids: {@code xw<l>} and {@code z<l>} per {@link Linear} layer,
 * {@code h<l>} for its activation, then the loss ({@code loss}). Convolutional networks add, in block order:
 * {@link Conv2d} as {@code conv2d} ({@code conv<l>}, parameters {@code K<l>} [O, C/g, kh, kw] and {@code c<l>}
 * [O]), {@link BatchNorm} as {@code batch_norm} in training mode ({@code bn<k>}, parameters {@code gamma<k>},
 * {@code beta<k>}; the running averages are not parameters), the pooling blocks of {@link Pool} as
 * {@code max_pool2d}/{@code avg_pool2d}/{@code global_avg_pool2d} ({@code pool<k>}), {@code batchFlattenBlock} as
 * {@code flatten} ({@code flat<k>}) and relu6 as {@code min(relu(u), SIX)} with the data scalar {@code SIX} = 6.
 * {@link Dropout} with rate 0 is the identity; with a positive rate it is refused: the mask PyTorch draws in a
 * training step is not observable from outside the block, so the function it differentiated cannot be
 * rebuilt.
 *
 * <p>DJL's activations and pooling/flatten blocks are {@link LambdaBlock}s whose function cannot be inspected,
 * so each is recognised by its values. An activation runs on a fixed vector of 64 inputs from −1000 to 1000
 * that includes every kink (0, ±1, 6), points on both sides of each and large magnitudes, and must reproduce
 * exactly one of identity, relu, relu6, leaky_relu (α read off at −1), abs, hardtanh ({@code clip(−1, 1)}),
 * tanh, sigmoid or softplus as PyTorch computes them — bit for bit for the piecewise-linear ones, to 1e-6 for
 * the smooth ones. On a 4-D input a block that changes the shape runs on a pseudo-random input of that shape
 * (distinct values, so no ties) and must reproduce flattening, a global average, or one max/avg pooling
 * geometry (kernel, stride and padding up to 8, 8 and 4, searched by output size) bit for bit. A name (DJL's
 * {@code ReLU}, …) is never trusted on its own. Nested {@code SequentialBlock}s are flattened. A
 * {@link ParallelBlock} is a residual block when, on a probe input, its output is the sum of its branches'
 * outputs: each branch is imported from the same input and the outputs are added ({@code res<k>}). Any other
 * block is an error naming it.
 */
public final class SequentialImport {
    private static final float[] PROBE = probeInputs();
    /** The data scalar that relu6 clips at. */
    static final String SIX = "SIX";

    private SequentialImport() {}

    /**
     * Imports the block with the given loss and batch size; the point holds the block's current parameters and
     * zero data. The input shape is the one the block was initialized with (batch replaced), or, for a block
     * whose first layer is {@code Linear}, {@code [batch, in]}.
     *
     * @throws ModelImportException naming the first block or parameter that cannot be imported
     */
    public static ImportedModel of(SequentialBlock block, LossSpec loss, int batch) throws ModelImportException {
        if (batch <= 0) throw new IllegalArgumentException("batch must be positive, got " + batch);
        return of(block, loss, inputShape(block, batch));
    }

    /**
     * Imports the block for inputs of the given shape, batch first ({@code [N, in]} or {@code [N, C, H, W]}).
     *
     * @throws ModelImportException naming the first block or parameter that cannot be imported
     */
    public static ImportedModel of(SequentialBlock block, LossSpec loss, long[] inputShape) throws ModelImportException {
        if (inputShape.length < 2 || inputShape[0] <= 0)
            throw new IllegalArgumentException("input shape " + java.util.Arrays.toString(inputShape) + " has no batch");
        List<Step> steps = new ArrayList<>();
        long[] shape = inputShape.clone();
        shape[0] = 1; // blocks are recognised on one example
        try (NDManager probe = PyTorchEngine.get().newBaseManager()) {
            flatten(block, "", steps, probe, shape);
        } catch (BackendException e) {
            throw new ModelImportException("cannot recognise activations without the PyTorch engine: " + e.getMessage(), e);
        }
        if (steps.stream().noneMatch(s -> s instanceof Step.Dense || s instanceof Step.Conv))
            throw new ModelImportException("the SequentialBlock has no Linear or Conv2d layer");
        return build(steps, loss, inputShape);
    }

    private static long[] inputShape(SequentialBlock block, int batch) throws ModelImportException {
        try {
            ai.djl.ndarray.types.Shape[] in = block.getInputShapes();
            if (in != null && in.length == 1 && in[0].dimension() >= 2) {
                long[] d = in[0].getShape().clone();
                d[0] = batch;
                return d;
            }
        } catch (RuntimeException e) {
            // not initialized with an input shape: fall back to the first Linear layer's width below
        }
        Block first = block;
        while (first instanceof SequentialBlock seq && !seq.getChildren().isEmpty()) first = StandIn.unwrap(seq.getChildren().get(0).getValue());
        if (first instanceof Linear) {
            Parameter w = first.getParameters().get("weight");
            if (w != null && w.isInitialized() && w.getArray().getShape().dimension() == 2)
                return new long[] {batch, w.getArray().getShape().get(1)};
            throw new ModelImportException("parameter 'weight' of Linear block children[0] is not initialized; initialize the "
                    + "block (block.initialize or trainer.initialize) before importing");
        }
        throw new ModelImportException("the block's input shape is unknown; initialize it (block.initialize or trainer.initialize) "
                + "or give the input shape");
    }

    /** Appends the recognised steps of {@code block}; returns the shape of its output on an input of {@code shape}. */
    private static long[] flatten(Block block, String prefix, List<Step> steps, NDManager probe, long[] shape) throws ModelImportException {
        return flatten(block, prefix, steps, probe, shape, new ArrayList<>());
    }

    /** As above; {@code all} holds every step recognised so far, also inside residual branches, for numbering. */
    private static long[] flatten(Block block, String prefix, List<Step> steps, NDManager probe, long[] shape, List<Step> all)
            throws ModelImportException {
        int i = 0;
        for (Pair<String, Block> child : block.getChildren()) {
            String where = prefix + "children[" + i++ + "] '" + child.getKey() + "'";
            shape = child(StandIn.unwrap(child.getValue()), where, steps, probe, shape, all);
        }
        return shape;
    }

    /** Recognises one child block (a nested sequence is flattened); returns its output shape. */
    private static long[] child(Block b, String where, List<Step> steps, NDManager probe, long[] shape, List<Step> all)
            throws ModelImportException {
        Step step;
        if (b instanceof SequentialBlock) {
            return flatten(b, where + ".", steps, probe, shape, all);
        } else if (b instanceof ParallelBlock) {
            step = residual(where, (ParallelBlock) b, probe, shape, all);
        } else if (b instanceof Linear) {
            if (shape.length != 2)
                throw new ModelImportException("Linear block " + where + " gets an input of rank " + shape.length
                        + "; flatten it first (Blocks.batchFlattenBlock())");
            step = dense(where, b, 1 + count(all, Step.Dense.class));
        } else if (b instanceof Conv2d) {
            step = conv(where, (Conv2d) b, 1 + count(all, Step.Conv.class), shape);
        } else if (b instanceof BatchNorm) {
            step = norm(where, (BatchNorm) b, 1 + count(all, Step.Norm.class), shape);
        } else if (b instanceof Dropout) {
            float rate = field(b, "rate", Float.class, where);
            if (rate != 0)
                throw new ModelImportException("Dropout block " + where + " has rate " + rate + ": the mask PyTorch draws in "
                        + "a training step is not observable, so the function it differentiates cannot be rebuilt; "
                        + "certify with Dropout.builder().optRate(0) (or without the block)");
            return shape;
        } else if (b instanceof LambdaBlock) {
            step = shape.length == 4 ? recogniseSpatial(where, b, probe, shape) : recognise(where, b, probe);
        } else {
            throw new ModelImportException("block " + where + " (" + b.getClass().getName() + ") is not supported; "
                    + "an imported SequentialBlock may hold Linear, Conv2d, BatchNorm, Dropout (rate 0), pooling, "
                    + "batch-flatten and element-wise activation blocks, residual ParallelBlocks and nested SequentialBlocks");
        }
        steps.add(step);
        all.add(step);
        return outputShape(step, shape);
    }

    /**
     * A ParallelBlock whose join adds its branches' outputs (a residual block), recognised by its values: on a
     * probe input of the current shape its output must equal the sum of its branches' outputs.
     */
    private static Step.Residual residual(String where, ParallelBlock b, NDManager probe, long[] shape, List<Step> all)
            throws ModelImportException {
        List<List<Step>> branches = new ArrayList<>();
        long[] out = null;
        int i = 0;
        for (Pair<String, Block> c : b.getChildren()) {
            String w = where + ".children[" + i++ + "] '" + c.getKey() + "'";
            List<Step> branch = new ArrayList<>();
            long[] o = child(c.getValue(), w, branch, probe, shape.clone(), all);
            if (out != null && !java.util.Arrays.equals(o, out))
                throw new ModelImportException("ParallelBlock " + where + ": branch " + w + " gives " + java.util.Arrays.toString(o)
                        + " while an earlier branch gives " + java.util.Arrays.toString(out) + "; a residual join adds equal shapes");
            out = o;
            branches.add(branch);
        }
        if (branches.size() < 2) throw new ModelImportException("ParallelBlock " + where + " has fewer than two branches");
        long[] one = shape.clone();
        one[0] = 1;
        int n = 1;
        for (long d : one) n *= (int) d;
        float[] v = new float[n];
        Random r = new Random(8191);
        for (int k = 0; k < n; k++) v[k] = (float) r.nextGaussian();
        try (NDManager m = probe.newSubManager()) {
            // in the branches' own type (their layers refuse mixed precision)
            DataType type = b.getParameters().values().stream().filter(Parameter::isInitialized).map(q -> q.getArray().getDataType())
                    .findFirst().orElse(DataType.FLOAT32);
            NDArray x = m.create(v, new ai.djl.ndarray.types.Shape(one)).toType(type, false);
            ParameterStore store = new ParameterStore(m, false);
            double[] joined = NdArrays.doubles(b.forward(store, new NDList(x), false).singletonOrThrow());
            NDArray sum = null;
            for (Pair<String, Block> c : b.getChildren()) {
                NDArray y = c.getValue().forward(store, new NDList(x), false).singletonOrThrow();
                sum = sum == null ? y : sum.add(y);
            }
            double[] added = NdArrays.doubles(sum);
            boolean same = joined.length == added.length;
            for (int k = 0; same && k < joined.length; k++) same = Math.abs(joined[k] - added[k]) <= 1e-6 * Math.max(1, Math.abs(added[k]));
            if (!same)
                throw new ModelImportException("ParallelBlock " + where + ": its join is not the sum of its branches (only residual "
                        + "additions are supported)");
        } catch (RuntimeException e) {
            throw new ModelImportException("ParallelBlock " + where + " failed on a probe input: " + e.getMessage(), e);
        }
        Step.Residual res = new Step.Residual(where, b, branches, 1 + count(all, Step.Residual.class));
        return res;
    }

    private static int count(List<Step> steps, Class<? extends Step> kind) {
        return (int) steps.stream().filter(kind::isInstance).count();
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

    private static Step.Conv conv(String where, Conv2d b, int layer, long[] shape) throws ModelImportException {
        if (shape.length != 4)
            throw new ModelImportException("Conv2d block " + where + " gets an input of rank " + shape.length + ", expected [N, C, H, W]");
        Parameter w = b.getParameters().get("weight");
        Parameter bias = b.getParameters().get("bias");
        if (w == null) throw new ModelImportException("Conv2d block " + where + " has no 'weight' parameter");
        for (Parameter p : bias == null ? List.of(w) : List.of(w, bias)) {
            if (!p.isInitialized())
                throw new ModelImportException("parameter '" + p.getName() + "' of Conv2d block " + where
                        + " is not initialized; initialize the block (block.initialize or trainer.initialize) before importing");
        }
        long[] ws = w.getArray().getShape().getShape();
        if (ws.length != 4) throw new ModelImportException("Conv2d block " + where + " has a weight of shape " + w.getArray().getShape()
                + ", expected [O, C/groups, kh, kw]");
        int[] wd = {Math.toIntExact(ws[0]), Math.toIntExact(ws[1]), Math.toIntExact(ws[2]), Math.toIntExact(ws[3])};
        int groups = b.getGroups();
        if (wd[1] * (long) groups != shape[1])
            throw new ModelImportException("Conv2d block " + where + " takes " + wd[1] * (long) groups + " channels but gets " + shape[1]);
        ParameterBinding wb = new ParameterBinding("K" + layer, w, wd[0], wd[1] * wd[2] * wd[3], false);
        Optional<ParameterBinding> bb = Optional.empty();
        if (bias != null && b.isIncludeBias()) {
            if (bias.getArray().getShape().size() != wd[0])
                throw new ModelImportException("Conv2d block " + where + " has a bias of shape " + bias.getArray().getShape()
                        + ", expected [" + wd[0] + "]");
            bb = Optional.of(new ParameterBinding("c" + layer, bias, wd[0], 1, false));
        }
        return new Step.Conv(where, b, layer, wb, bb, wd, pair(b.getStride(), where), pair(b.getPadding(), where),
                pair(b.getDilation(), where), groups);
    }

    private static int[] pair(ai.djl.ndarray.types.Shape s, String where) throws ModelImportException {
        if (s.dimension() != 2) throw new ModelImportException("block " + where + " has a 2-D window attribute " + s + " that is not a pair");
        return new int[] {Math.toIntExact(s.get(0)), Math.toIntExact(s.get(1))};
    }

    private static Step.Norm norm(String where, BatchNorm b, int index, long[] shape) throws ModelImportException {
        int axis = field(b, "axis", Integer.class, where);
        boolean center = field(b, "center", Boolean.class, where), scale = field(b, "scale", Boolean.class, where);
        float eps = field(b, "epsilon", Float.class, where);
        if (axis != 1) throw new ModelImportException("BatchNorm block " + where + " normalises axis " + axis + "; the IR's batch_norm "
                + "normalises the channel axis 1");
        if (!center || !scale) throw new ModelImportException("BatchNorm block " + where + " has center " + center + " and scale " + scale
                + "; only the default (both on, gamma and beta learned) is supported");
        if (shape.length != 2 && shape.length != 4)
            throw new ModelImportException("BatchNorm block " + where + " gets an input of rank " + shape.length + ", expected [N, C] or [N, C, H, W]");
        Parameter gamma = b.getParameters().get("gamma"), beta = b.getParameters().get("beta");
        for (Parameter p : new Parameter[] {gamma, beta}) {
            if (p == null || !p.isInitialized())
                throw new ModelImportException("parameter gamma/beta of BatchNorm block " + where + " is missing or not initialized");
            if (p.getArray().getShape().size() != shape[1])
                throw new ModelImportException("parameter '" + p.getName() + "' of BatchNorm block " + where + " has shape "
                        + p.getArray().getShape() + " for " + shape[1] + " channels");
        }
        int c = Math.toIntExact(shape[1]);
        // float epsilon widened exactly: the procedure's eps is the number PyTorch receives (as a double)
        return new Step.Norm(where, b, index, new ParameterBinding("gamma" + index, gamma, c, 1, false),
                new ParameterBinding("beta" + index, beta, c, 1, false), eps);
    }

    /** A private field of a DJL block that has no getter (BatchNorm's settings, Dropout's rate). */
    private static <T> T field(Block b, String name, Class<T> type, String where) throws ModelImportException {
        try {
            java.lang.reflect.Field f = b.getClass().getDeclaredField(name);
            f.setAccessible(true);
            return type.cast(f.get(b));
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new ModelImportException("block " + where + " (" + b.getClass().getSimpleName() + "): cannot read its setting '" + name
                    + "' (" + e + ")", e);
        }
    }

    /** The output shape of a step on an input of {@code in} (batch first). */
    private static long[] outputShape(Step step, long[] in) {
        if (step instanceof Step.Dense d) return new long[] {in[0], d.out()};
        if (step instanceof Step.Conv c) {
            Window2d w = Window2d.conv(Shape4.of(in), org.abscert.spi.ir.Shape.of(c.shape()), c.stride(), c.padding(), c.dilation());
            return new long[] {in[0], c.shape()[0], w.outHeight, w.outWidth};
        }
        if (step instanceof Step.Pool p) {
            if (p.op() == Op.GLOBAL_AVG_POOL2D) return new long[] {in[0], in[1]};
            Window2d w = Window2d.pool(Shape4.of(in), p.kernel(), p.stride(), p.padding());
            return new long[] {in[0], in[1], w.outHeight, w.outWidth};
        }
        if (step instanceof Step.Residual res) {
            long[] sh = in.clone();
            for (Step st : res.branches().get(0)) sh = outputShape(st, sh);
            return sh;
        }
        if (step instanceof Step.Flatten) {
            long rest = 1;
            for (int i = 1; i < in.length; i++) rest *= in[i];
            return new long[] {in[0], rest};
        }
        return in.clone();
    }

    /** IR shapes from DJL's long dimensions. */
    private static final class Shape4 {
        static org.abscert.spi.ir.Shape of(long[] d) {
            int[] i = new int[d.length];
            for (int k = 0; k < d.length; k++) i[k] = Math.toIntExact(d[k]);
            return org.abscert.spi.ir.Shape.of(i);
        }
    }

    /**
     * Recognises a LambdaBlock applied to a 4-D input: an element-wise activation (same shape), flattening, a
     * global average, or one max/avg pooling geometry, by its values on a pseudo-random input of that shape with
     * distinct entries (see the class comment).
     */
    static Step recogniseSpatial(String where, Block b, NDManager m, long[] shape) throws ModelImportException {
        long[] one = shape.clone();
        one[0] = 1;
        int n = Math.toIntExact(one[1] * one[2] * one[3]);
        float[] v = new float[n];
        Random r = new Random(4099);
        for (int i = 0; i < n; i++) v[i] = (i + 1) / 64f * (r.nextBoolean() ? 1 : -1) + (float) r.nextGaussian();
        NDArray x = m.create(v, new ai.djl.ndarray.types.Shape(one));
        NDArray y;
        try {
            y = b.forward(new ParameterStore(m, false), new NDList(x), false).singletonOrThrow();
        } catch (RuntimeException e) {
            throw new ModelImportException("block " + where + " failed on a " + new ai.djl.ndarray.types.Shape(one) + " input: " + e.getMessage(), e);
        }
        ai.djl.ndarray.types.Shape ys = y.getShape();
        String name = ((LambdaBlock) b).getName();
        if (ys.equals(x.getShape())) return recognise(where, b, m);
        if (ys.dimension() == 2 && ys.get(1) == n && java.util.Arrays.equals(y.toFloatArray(), v)) return new Step.Flatten(where, b);
        if (ys.dimension() == 2 && ys.get(1) == one[1]) {
            if (close(y.toFloatArray(), Pool.globalAvgPool2d(x).toFloatArray()))
                return new Step.Pool(where, b, Op.GLOBAL_AVG_POOL2D, new int[] {(int) one[2], (int) one[3]}, new int[] {1, 1}, new int[] {0, 0});
        }
        if (ys.dimension() == 4 && ys.get(1) == one[1]) {
            // the random input, and two ramps: in row-major order a window's maximum is then its last cell, and its
            // first; a geometry that matches all three has every window's corners, hence its cells, right (one random
            // input alone can match a wrong geometry, such as a 1×1 kernel whose cell happens to be each window's maximum)
            float[] up = new float[n], down = new float[n];
            for (int i = 0; i < n; i++) {
                up[i] = i + 1;
                down[i] = n - i;
            }
            NDArray[] inputs = {x, m.create(up, new ai.djl.ndarray.types.Shape(one)), m.create(down, new ai.djl.ndarray.types.Shape(one))};
            float[][] got = new float[inputs.length][];
            for (int i = 0; i < inputs.length; i++) {
                try {
                    got[i] = i == 0 ? y.toFloatArray() : b.forward(new ParameterStore(m, false), new NDList(inputs[i]), false).singletonOrThrow().toFloatArray();
                } catch (RuntimeException e) {
                    throw new ModelImportException("block " + where + " failed on a " + new ai.djl.ndarray.types.Shape(one) + " input: " + e.getMessage(), e);
                }
            }
            for (int[] rows : geometries((int) one[2], (int) ys.get(2)))
                for (int[] cols : geometries((int) one[3], (int) ys.get(3))) {
                    ai.djl.ndarray.types.Shape k = new ai.djl.ndarray.types.Shape(rows[0], cols[0]), st = new ai.djl.ndarray.types.Shape(rows[1], cols[1]), pad = new ai.djl.ndarray.types.Shape(rows[2], cols[2]);
                    int[] kernel = {rows[0], cols[0]}, stride = {rows[1], cols[1]}, padding = {rows[2], cols[2]};
                    boolean max = true, avg = true;
                    for (int i = 0; i < inputs.length; i++) {
                        max = max && java.util.Arrays.equals(got[i], Pool.maxPool2d(inputs[i], k, st, pad, false).toFloatArray());
                        avg = avg && java.util.Arrays.equals(got[i], Pool.avgPool2d(inputs[i], k, st, pad, false, true).toFloatArray());
                    }
                    if (max) return new Step.Pool(where, b, Op.MAX_POOL2D, kernel, stride, padding);
                    if (avg) return new Step.Pool(where, b, Op.AVG_POOL2D, kernel, stride, padding);
                }
        }
        throw new ModelImportException("block " + where + " (LambdaBlock '" + name + "') maps a " + new ai.djl.ndarray.types.Shape(one) + " input to " + ys
                + " and its values match none of an element-wise activation, batch flattening, a global average pool, "
                + "or a max/avg pool with kernel ≤ 8, stride ≤ 8, padding ≤ 4 (average pools counting padded cells)");
    }

    /** (kernel, stride, padding) along one axis of length {@code in} that give {@code out} positions, floor mode. */
    private static List<int[]> geometries(int in, int out) {
        List<int[]> g = new ArrayList<>();
        for (int k = 1; k <= Math.min(8, in + 8); k++)
            for (int st = 1; st <= 8; st++)
                for (int p = 0; p <= Math.min(4, k / 2); p++) {
                    long span = (long) in + 2L * p - k;
                    if (span >= 0 && span / st + 1 == out) g.add(new int[] {k, st, p});
                }
        return g;
    }

    private static boolean close(float[] a, float[] b) {
        if (a.length != b.length) return false;
        for (int i = 0; i < a.length; i++) if (!(Math.abs(a[i] - b[i]) <= 1e-6 * Math.max(1, Math.abs(b[i])))) return false;
        return true;
    }

    /** Recognises an activation by its values on {@link #PROBE} (see the class comment). */
    static Step recognise(String where, Block b, NDManager m) throws ModelImportException {
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
        candidates.put("relu6", Activation::relu6);
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
                    + (matches.isEmpty() ? "its values match none of identity, relu, relu6, leaky_relu, abs, hardtanh, tanh, sigmoid, softplus"
                    : "its values match several of " + matches));
        String name = matches.get(0);
        if (name.equals("relu6")) return new Step.Relu6(where, b);
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
                -0.125f, -tiny, 0, tiny, 0.125f, 0.25f, 0.5f, 0.75f, 1 - tiny, 1, 1 + tiny, 1.5f, 2, 3, 4, 6 - 4 * tiny, 6, 6 + 4 * tiny, 6.5f,
                8, 30, 100, 1000};
        float[] p = new float[64];
        System.arraycopy(fixed, 0, p, 0, fixed.length);
        Random r = new Random(64);
        for (int i = fixed.length; i < p.length; i++) p[i] = (float) (12 * r.nextDouble() - 6);
        return p;
    }

    static final Object FORK = new Object(), END_BRANCH = new Object();

    /** The steps in node order: a residual block becomes FORK, each branch's steps then END_BRANCH, then the block (its join). */
    static List<Object> linear(List<Step> steps) {
        List<Object> out = new ArrayList<>();
        for (Step st : steps) {
            if (st instanceof Step.Residual r) {
                out.add(FORK);
                for (List<Step> branch : r.branches()) {
                    out.addAll(linear(branch));
                    out.add(END_BRANCH);
                }
            }
            out.add(st);
        }
        return out;
    }

    private static ImportedModel build(List<Step> steps, LossSpec loss, long[] inputShape) throws ModelImportException {
        List<TensorDecl> params = new ArrayList<>();
        List<ParameterBinding> bindings = new ArrayList<>();
        List<Node> nodes = new ArrayList<>();
        Map<String, Tensor> values = new LinkedHashMap<>();
        String h = "X";
        long[] shape = inputShape.clone();
        int layer = 0, activations = 0, pools = 0, flats = 0;
        String act = "h"; // activation ids: h<l> after Linear layer l (as the mlp shorthand), hc<l> after convolution l
        boolean six = false;
        Precision[] precision = {null};
        java.util.Deque<Object[]> forks = new java.util.ArrayDeque<>(); // per open residual: input id, input shape, branch outputs
        for (Object ins : linear(steps)) {
            if (ins == FORK) {
                forks.push(new Object[] {h, shape.clone(), new ArrayList<String>()});
                continue;
            }
            if (ins == END_BRANCH) {
                Object[] f = forks.peek();
                @SuppressWarnings("unchecked") List<String> outs = (List<String>) f[2];
                outs.add(h);
                h = (String) f[0];
                shape = ((long[]) f[1]).clone();
                continue;
            }
            if (ins instanceof Step.Residual r) { // the join: the branches' outputs added in branch order
                Object[] f = forks.pop();
                @SuppressWarnings("unchecked") List<String> outs = (List<String>) f[2];
                String acc = outs.get(0);
                for (int k = 1; k < outs.size(); k++) {
                    String id = "res" + r.index() + (k == 1 ? "" : "_" + k);
                    nodes.add(new Node(id, Op.ADD, acc, outs.get(k)));
                    acc = id;
                }
                h = acc;
                shape = outputShape(r, (long[]) f[1]);
                continue;
            }
            Step s = (Step) ins;
            if (s instanceof Step.Dense d) {
                if (shape.length != 2 || d.in() != shape[1])
                    throw new ModelImportException("Linear block " + d.where() + " takes " + d.in() + " inputs but gets "
                            + java.util.Arrays.toString(java.util.Arrays.copyOfRange(shape, 1, shape.length)));
                layer = d.layer();
                activations = 0;
                act = "h" + layer;
                bind(d.where(), d.weight(), Shape.of(d.in(), d.out()), params, bindings, values, precision);
                String z = "z" + layer;
                if (d.bias().isPresent()) {
                    bind(d.where(), d.bias().get(), Shape.of(d.out()), params, bindings, values, precision);
                    nodes.add(new Node("xw" + layer, Op.MATMUL, h, "W" + layer));
                    nodes.add(new Node(z, Op.ADD, "xw" + layer, "b" + layer));
                } else {
                    nodes.add(new Node(z, Op.MATMUL, h, "W" + layer));
                }
                h = z;
            } else if (s instanceof Step.Conv c) {
                bind(c.where(), c.weight(), Shape.of(c.shape()), params, bindings, values, precision);
                List<String> args = new ArrayList<>(List.of(h, c.weight().name()));
                if (c.bias().isPresent()) {
                    bind(c.where(), c.bias().get(), Shape.of(c.shape()[0]), params, bindings, values, precision);
                    args.add(c.bias().get().name());
                }
                String id = "conv" + c.layer();
                Map<String, Double> attrs = c.groups() == 1 ? Map.of() : Map.of("groups", (double) c.groups());
                nodes.add(new Node(id, Op.CONV2D, args, attrs, Map.of("stride", list(c.stride()), "padding", list(c.padding()),
                        "dilation", list(c.dilation()))));
                h = id;
                layer = c.layer();
                activations = 0;
                act = "hc" + layer;
            } else if (s instanceof Step.Norm nm) {
                int ch = Math.toIntExact(shape[1]);
                bind(nm.where(), nm.gamma(), Shape.of(ch), params, bindings, values, precision);
                bind(nm.where(), nm.beta(), Shape.of(ch), params, bindings, values, precision);
                String id = "bn" + nm.index();
                nodes.add(new Node(id, Op.BATCH_NORM, List.of(h, nm.gamma().name(), nm.beta().name()), Map.of("eps", nm.eps())));
                h = id;
            } else if (s instanceof Step.Pool pl) {
                String id = "pool" + ++pools;
                nodes.add(pl.op() == Op.GLOBAL_AVG_POOL2D ? new Node(id, pl.op(), h)
                        : new Node(id, pl.op(), List.of(h), Map.of(), Map.of("kernel", list(pl.kernel()), "stride", list(pl.stride()),
                        "padding", list(pl.padding()))));
                h = id;
            } else if (s instanceof Step.Flatten) {
                String id = "flat" + ++flats;
                nodes.add(new Node(id, Op.FLATTEN, h));
                h = id;
            } else if (s instanceof Step.Relu6 r6) {
                String id = act + (activations++ == 0 ? "" : "_" + activations);
                nodes.add(new Node(id + "_relu", Op.RELU, h));
                nodes.add(new Node(id, Op.MIN, id + "_relu", SIX));
                six = true;
                h = id;
            } else if (s instanceof Step.Activation a && a.op().isPresent()) {
                if (layer == 0)
                    throw new ModelImportException("activation " + a.where() + " comes before the first Linear or Conv2d layer; "
                            + "an imported network starts with one");
                String id = act + (activations++ == 0 ? "" : "_" + activations);
                Map<String, Double> attrs = a.op().get() == Op.LEAKY_RELU ? Map.of("alpha", a.alpha()) : Map.of();
                nodes.add(new Node(id, a.op().get(), List.of(h), attrs));
                h = id;
            }
            shape = outputShape(s, shape);
        }
        if (shape.length != 2)
            throw new ModelImportException("the network's output has shape " + java.util.Arrays.toString(shape)
                    + "; the loss needs [batch, outputs] (flatten or pool before the loss)");
        int width = Math.toIntExact(shape[1]);
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
        List<TensorDecl> data = new ArrayList<>();
        data.add(new TensorDecl("X", Shape4.of(inputShape)));
        data.add(new TensorDecl("Y", Shape.of(Math.toIntExact(inputShape[0]), width)));
        if (six) data.add(new TensorDecl(SIX, Shape.SCALAR));
        Procedure procedure;
        try {
            procedure = Procedure.create("<djl>", "djl-sequential", params, data, nodes, "loss");
        } catch (InvalidInputException e) {
            throw new ModelImportException("the imported network is not a valid procedure: " + e.getMessage(), e);
        }
        Map<String, Tensor> zeros = new LinkedHashMap<>();
        for (TensorDecl d : data) zeros.put(d.name(), new Tensor(d.shape(), new double[d.shape().size()]));
        if (six) zeros.put(SIX, new Tensor(Shape.SCALAR, new double[] {6}));
        return new ImportedModel(procedure, new Point(values, zeros), bindings, steps, loss, precision[0]);
    }

    private static List<Integer> list(int[] pair) { return List.of(pair[0], pair[1]); }

    /** Declares a procedure parameter for a binding, with its current values; all parameters share one precision. */
    private static void bind(String where, ParameterBinding pb, Shape shape, List<TensorDecl> params, List<ParameterBinding> bindings,
                             Map<String, Tensor> values, Precision[] precision) throws ModelImportException {
        Precision p;
        try {
            p = NdArrays.precision(pb.parameter().getArray().getDataType());
        } catch (IllegalArgumentException e) {
            throw new ModelImportException("parameter '" + pb.parameter().getName() + "' of " + where
                    + ": data type " + pb.parameter().getArray().getDataType() + " is not supported");
        }
        if (precision[0] != null && p != precision[0])
            throw new ModelImportException("parameter '" + pb.parameter().getName() + "' of " + where + " is " + p
                    + " while earlier parameters are " + precision[0]);
        precision[0] = p;
        params.add(new TensorDecl(pb.name(), shape));
        bindings.add(pb);
        values.put(pb.name(), new Tensor(shape, pb.values()));
    }
}
