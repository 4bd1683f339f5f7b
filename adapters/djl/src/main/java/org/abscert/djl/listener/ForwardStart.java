package org.abscert.djl.listener;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.BlockList;
import ai.djl.nn.ParameterList;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.PairList;
import org.abscert.djl.importer.StandIn;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.reflect.Field;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The start of a forward pass of a {@link SequentialBlock}, seen by the listener: the block's first child is replaced
 * (through reflection on {@code AbstractBlock.children}) by this block, which tells {@link Listener} the pass's data —
 * and its labels, when the pass is a training forward with labels ({@code Trainer.forward(data, labels)}, what
 * {@code EasyTrain} calls) — and then runs the child unchanged. Every other method is the child's own, so
 * parameters, their names, saving and loading are as they were, and {@link org.abscert.djl.importer.SequentialImport}
 * imports the child ({@link StandIn}); {@link #restore} puts the child back.
 *
 * <p>A synchronous FAST check needs the data of the step; with it in hand when the last activation has been recorded,
 * the check can run while PyTorch computes the backward pass.
 */
final class ForwardStart implements StandIn {
    /** Told of each forward pass before the first child runs. */
    interface Listener {
        /**
         * @param data     the pass's inputs
         * @param labels   the labels of a training pass, or null
         * @param training whether it is a training pass
         */
        void starting(NDList data, NDList labels, boolean training);
    }

    private static final Field CHILDREN = ActivationRecorders.accessible(AbstractBlock.class, "children");

    private final SequentialBlock parent;
    private final Block child;
    private final Listener listener;

    private ForwardStart(SequentialBlock parent, Block child, Listener listener) {
        this.parent = parent;
        this.child = child;
        this.listener = listener;
    }

    /**
     * Puts a {@code ForwardStart} in place of {@code block}'s first child, or returns null when this DJL's blocks do not
     * allow it (the field is not there, or the block has no child).
     */
    static ForwardStart install(SequentialBlock block, Listener listener) {
        List<Block> children = children(block);
        if (children == null || children.isEmpty() || children.get(0) instanceof ForwardStart) return null;
        ForwardStart s = new ForwardStart(block, children.get(0), listener);
        children.set(0, s);
        return s;
    }

    /** Puts the original first child back (when this block is still in its place). */
    void restore() {
        List<Block> children = children(parent);
        if (children != null && !children.isEmpty() && children.get(0) == this) children.set(0, child);
    }

    /** The block this one stands in for. */
    @Override public Block original() { return child; }

    /** The parent's list of children as it holds them (BlockList's values are the list it iterates), or null. */
    private static List<Block> children(SequentialBlock block) {
        if (CHILDREN == null) return null;
        try {
            BlockList list = (BlockList) CHILDREN.get(block);
            return list == null ? null : list.values();
        } catch (IllegalAccessException | RuntimeException e) {
            return null;
        }
    }

    @Override
    public NDList forward(ParameterStore parameterStore, NDList inputs, boolean training, PairList<String, Object> params) {
        listener.starting(inputs, null, training);
        return child.forward(parameterStore, inputs, training, params);
    }

    @Override
    public NDList forward(ParameterStore parameterStore, NDList data, NDList labels, PairList<String, Object> params) {
        listener.starting(data, labels, true);
        return child.forward(parameterStore, data, labels, params);
    }

    @Override public void setInitializer(Initializer initializer, ai.djl.nn.Parameter.Type type) { child.setInitializer(initializer, type); }

    @Override public void setInitializer(Initializer initializer, String paramName) { child.setInitializer(initializer, paramName); }

    @Override public void setInitializer(Initializer initializer, Predicate<ai.djl.nn.Parameter> predicate) {
        child.setInitializer(initializer, predicate);
    }

    @Override public void initialize(NDManager manager, DataType dataType, Shape... inputShapes) { child.initialize(manager, dataType, inputShapes); }

    @Override public boolean isInitialized() { return child.isInitialized(); }

    @Override public void cast(DataType dataType) { child.cast(dataType); }

    @Override public void clear() { child.clear(); }

    @Override public PairList<String, Shape> describeInput() { return child.describeInput(); }

    @Override public BlockList getChildren() { return child.getChildren(); }

    @Override public ParameterList getDirectParameters() { return child.getDirectParameters(); }

    @Override public ParameterList getParameters() { return child.getParameters(); }

    @Override public Shape[] getOutputShapes(Shape[] inputShapes) { return child.getOutputShapes(inputShapes); }

    @Override public Shape[] getOutputShapes(Shape[] inputShapes, DataType[] inputDataTypes) {
        return child.getOutputShapes(inputShapes, inputDataTypes);
    }

    @Override public Shape[] getInputShapes() { return child.getInputShapes(); }

    @Override public DataType[] getOutputDataTypes() { return child.getOutputDataTypes(); }

    @Override public void saveParameters(DataOutputStream os) throws IOException { child.saveParameters(os); }

    @Override public void loadParameters(NDManager manager, DataInputStream is) throws IOException, MalformedModelException {
        child.loadParameters(manager, is);
    }

    @Override public void freezeParameters(boolean freeze) { child.freezeParameters(freeze); }

    @Override public void freezeParameters(boolean freeze, Predicate<ai.djl.nn.Parameter> pred) { child.freezeParameters(freeze, pred); }

    @Override public Map<String, String> getCustomMetadata() { return child.getCustomMetadata(); }

    @Override public String toString() { return child.toString(); }
}
