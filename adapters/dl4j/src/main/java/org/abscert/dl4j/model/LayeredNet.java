package org.abscert.dl4j.model;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.ir.Node;
import org.abscert.spi.ir.Op;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.ir.TensorDecl;

/**
 * A dense feed-forward network with a loss: the procedures a DL4J {@code MultiLayerNetwork} of
 * {@code DenseLayer}s and an {@code OutputLayer} computes. It is both what {@link #recognise} finds in a
 * procedure (for example one written with the {@code mlp} shorthand) and what {@link NetworkImporter} reads
 * from a network.
 *
 * <p>Layer {@code l} (1-based) computes {@code z_l = h_{l−1}·W_l + b_l} and {@code h_l = act_l(z_l)}, with
 * {@code h_0 = X}; node ids follow {@link org.abscert.spi.ir.Mlp}: {@code xw<l>}, {@code z<l>}, {@code h<l>}.
 * The loss compares {@code h_L} with {@code Y} and is, for every kind, the value DL4J's score reports
 * (see {@link Loss}).
 *
 * @param features the data tensor X [batch, input]
 * @param labels   the data tensor Y [batch, output]
 * @param input    width of X
 * @param layers   the dense layers, input side first
 * @param loss     the loss on the last layer's output
 */
public record LayeredNet(String features, String labels, int input, List<Layer> layers, Loss loss) {

    /** Activations of a dense layer. */
    public enum Activation {
        IDENTITY(null), RELU(Op.RELU), LEAKY_RELU(Op.LEAKY_RELU), HARDTANH(Op.HARDTANH), ABS(Op.ABS),
        TANH(Op.TANH), SIGMOID(Op.SIGMOID), SOFTPLUS(Op.SOFTPLUS);

        private final Op op;

        Activation(Op op) { this.op = op; }

        /** The op of the activation node; null for identity (no node). */
        public Op op() { return op; }

        static Activation of(Op op) {
            for (Activation a : values()) if (a.op == op) return a;
            return null;
        }
    }

    /**
     * Losses with DL4J's scaling, each written with procedure ops so that the procedure's value is DL4J's
     * score (the per-example loss averaged over the batch):
     * <ul>
     *   <li>{@code SOFTMAX_CROSS_ENTROPY}: DL4J MCXENT with SOFTMAX; {@code softmax_cross_entropy(z_L, Y)}</li>
     *   <li>{@code MSE}: DL4J MSE (per example the mean over outputs); {@code mse(h_L, Y)}</li>
     *   <li>{@code L2}: DL4J L2 (per example the sum over outputs); {@code scale(mse(h_L, Y), out)}</li>
     *   <li>{@code MAE}: DL4J MAE; {@code mean(abs(h_L − Y))} (the shorthand's {@code l1})</li>
     *   <li>{@code L1}: DL4J L1 (per example the sum); {@code scale(mean(abs(h_L − Y)), out)}</li>
     *   <li>{@code HINGE}: DL4J HINGE, Σ_j max(0, 1 − y_j·h_j) per example, for labels in {−1, 1}:
     *       {@code scale(mean(relu(Y ⊙ (Y − h_L))), out)}, since Y ⊙ (Y − h) = 1 − Y ⊙ h when Y² = 1</li>
     * </ul>
     */
    public enum Loss { SOFTMAX_CROSS_ENTROPY, MSE, L2, MAE, L1, HINGE }

    /**
     * One dense layer.
     *
     * @param width      output width
     * @param activation its activation
     * @param alpha      the leaky_relu slope (0 for other activations)
     * @param weight     name of its weight parameter W [in, width]
     * @param bias       name of its bias parameter b [width], or null when the layer has none
     */
    public record Layer(int width, Activation activation, double alpha, String weight, String bias) {
        public Layer {
            Objects.requireNonNull(activation);
            Objects.requireNonNull(weight);
        }

        public boolean hasBias() { return bias != null; }
    }

    public LayeredNet {
        Objects.requireNonNull(features);
        Objects.requireNonNull(labels);
        layers = List.copyOf(layers);
        Objects.requireNonNull(loss);
        if (layers.isEmpty()) throw new IllegalArgumentException("a layered net needs at least one layer");
    }

    /** Width of the last layer. */
    public int output() { return layers.get(layers.size() - 1).width(); }

    /** Width of the input of layer {@code l} (0-based). */
    public int inputWidth(int l) { return l == 0 ? input : layers.get(l - 1).width(); }

    /** A network with abscert's standard names: X, Y, W1, b1, W2, b2, … */
    public static LayeredNet standard(int input, List<Layer> layers, Loss loss) {
        List<Layer> named = new ArrayList<>();
        for (int l = 0; l < layers.size(); l++) {
            Layer a = layers.get(l);
            named.add(new Layer(a.width(), a.activation(), a.alpha(), "W" + (l + 1), a.hasBias() ? "b" + (l + 1) : null));
        }
        return new LayeredNet("X", "Y", input, named, loss);
    }

    /** The procedure of this network for a batch of the given size. */
    public Procedure procedure(String name, int batch) {
        List<TensorDecl> params = new ArrayList<>();
        List<Node> nodes = new ArrayList<>();
        String h = features;
        for (int l = 1; l <= layers.size(); l++) {
            Layer layer = layers.get(l - 1);
            params.add(new TensorDecl(layer.weight(), Shape.of(inputWidth(l - 1), layer.width())));
            String z = "z" + l;
            if (layer.hasBias()) {
                params.add(new TensorDecl(layer.bias(), Shape.of(layer.width())));
                nodes.add(new Node("xw" + l, Op.MATMUL, h, layer.weight()));
                nodes.add(new Node(z, Op.ADD, "xw" + l, layer.bias()));
            } else {
                nodes.add(new Node(z, Op.MATMUL, h, layer.weight()));
            }
            h = z;
            if (layer.activation() == Activation.LEAKY_RELU) {
                nodes.add(new Node("h" + l, Op.LEAKY_RELU, List.of(z), Map.of("alpha", layer.alpha())));
                h = "h" + l;
            } else if (layer.activation() != Activation.IDENTITY) {
                nodes.add(new Node("h" + l, layer.activation().op(), z));
                h = "h" + l;
            }
        }
        Map<String, Double> outWidth = Map.of("k", (double) output());
        switch (loss) {
            case SOFTMAX_CROSS_ENTROPY -> nodes.add(new Node("loss", Op.SOFTMAX_CROSS_ENTROPY, h, labels));
            case MSE -> nodes.add(new Node("loss", Op.MSE, h, labels));
            case L2 -> {
                nodes.add(new Node("mse", Op.MSE, h, labels));
                nodes.add(new Node("loss", Op.SCALE, List.of("mse"), outWidth));
            }
            case MAE, L1 -> {
                nodes.add(new Node("err", Op.SUB, h, labels));
                nodes.add(new Node("abserr", Op.ABS, "err"));
                if (loss == Loss.MAE) {
                    nodes.add(new Node("loss", Op.MEAN, "abserr"));
                } else {
                    nodes.add(new Node("mae", Op.MEAN, "abserr"));
                    nodes.add(new Node("loss", Op.SCALE, List.of("mae"), outWidth));
                }
            }
            case HINGE -> {
                nodes.add(new Node("diff", Op.SUB, labels, h));
                nodes.add(new Node("margin", Op.MUL, labels, "diff"));
                nodes.add(new Node("hinge", Op.RELU, "margin"));
                nodes.add(new Node("meanhinge", Op.MEAN, "hinge"));
                nodes.add(new Node("loss", Op.SCALE, List.of("meanhinge"), outWidth));
            }
        }
        List<TensorDecl> data = List.of(new TensorDecl(features, Shape.of(batch, input)),
                new TensorDecl(labels, Shape.of(batch, output())));
        try {
            return Procedure.create("<" + name + ">", name, params, data, nodes, "loss");
        } catch (InvalidInputException e) {
            throw new IllegalStateException("layered net expands to an invalid procedure: " + e.getMessage(), e);
        }
    }

    /**
     * Recognises a layered network in a procedure: data X [batch, in] and Y [batch, out]; per layer a
     * {@code matmul(h, W)} with a parameter W [in, out], optionally {@code add(·, b)} with a parameter
     * b [out], optionally one activation; then one of the {@link Loss} patterns ending in the output. Every
     * parameter must belong to exactly one layer and every node to the pattern.
     *
     * @throws NotLayeredException saying where the procedure departs from the pattern
     */
    public static LayeredNet recognise(Procedure p) throws NotLayeredException {
        return new Matcher(p).match();
    }

    /** A procedure that is not a layered network; the message says why. */
    public static final class NotLayeredException extends Exception {
        private static final long serialVersionUID = 1L;

        public NotLayeredException(String message) { super(message); }
    }

    private static final class Matcher {
        private final Procedure p;
        private final List<Node> nodes;
        private final Set<String> usedParams = new HashSet<>();
        private final Map<String, Integer> uses = new HashMap<>();
        private int i;

        Matcher(Procedure p) {
            this.p = p;
            this.nodes = p.nodes();
            for (Node n : nodes) for (String a : n.args()) uses.merge(a, 1, Integer::sum);
        }

        private NotLayeredException fail(String why) {
            return new NotLayeredException("procedure '" + p.name() + "' is not a layered network"
                    + (i < nodes.size() ? " at node '" + nodes.get(i).id() + "' (" + nodes.get(i).op() + ")" : "") + ": " + why);
        }

        private Node peek() { return i < nodes.size() ? nodes.get(i) : null; }

        private String param(String id, int... dims) throws NotLayeredException {
            if (!p.isParameter(id)) throw fail("'" + id + "' must be a parameter");
            if (!p.shape(id).equals(Shape.of(dims)))
                throw fail("parameter '" + id + "' must have shape " + Shape.of(dims) + ", has " + p.shape(id));
            if (!usedParams.add(id) || uses.getOrDefault(id, 0) != 1)
                throw fail("parameter '" + id + "' is used more than once");
            return id;
        }

        private void single(String id) throws NotLayeredException {
            if (uses.getOrDefault(id, 0) != 1) throw fail("'" + id + "' must be used exactly once");
        }

        LayeredNet match() throws NotLayeredException {
            Node first = peek();
            if (first == null || first.op() != Op.MATMUL) throw fail("expected matmul(X, W1) first");
            String x = first.arg(0);
            if (!p.isData(x) || p.shape(x).rank() != 2) throw fail("the first matmul must read a 2-D data tensor X");
            if (uses.get(x) != 1) throw fail("X must be used only by the first layer");
            int batch = p.shape(x).dim(0);
            int width = p.shape(x).dim(1);
            String h = x;
            List<Layer> layers = new ArrayList<>();
            while (true) {
                Node mm = peek();
                if (mm == null || mm.op() != Op.MATMUL || !mm.arg(0).equals(h)) break;
                String w = mm.arg(1);
                if (!p.isParameter(w) || p.shape(w).rank() != 2) throw fail("matmul must multiply by a 2-D parameter W [in, out]");
                int out = p.shape(w).dim(1);
                param(w, width, out);
                i++;
                String z = mm.id();
                String b = null;
                Node add = peek();
                if (add != null && add.op() == Op.ADD && add.arg(0).equals(z) && p.isParameter(add.arg(1))) {
                    single(z);
                    b = param(add.arg(1), out);
                    z = add.id();
                    i++;
                }
                Activation act = Activation.IDENTITY;
                double alpha = 0;
                Node a = peek();
                if (a != null && a.args().size() == 1 && a.arg(0).equals(z) && Activation.of(a.op()) != null) {
                    single(z);
                    act = Activation.of(a.op());
                    if (act == Activation.LEAKY_RELU) alpha = a.attribute("alpha");
                    z = a.id();
                    i++;
                }
                layers.add(new Layer(out, act, alpha, w, b));
                h = z;
                width = out;
            }
            if (layers.isEmpty()) throw fail("expected matmul(X, W1) first");
            single(h);
            Loss loss = matchLoss(h, batch, width);
            if (i != nodes.size()) throw fail("unexpected node after the loss");
            for (TensorDecl d : p.parameters())
                if (!usedParams.contains(d.name())) throw fail("parameter '" + d.name() + "' is not part of a dense layer");
            if (p.data().size() != 2) throw fail("expected exactly two data tensors, X and Y");
            return new LayeredNet(x, labelsId, p.shape(x).dim(1), layers, loss);
        }

        private String labelsId;

        private void labels(String y, int batch, int width) throws NotLayeredException {
            if (!p.isData(y) || !p.shape(y).equals(Shape.of(batch, width)))
                throw fail("the loss must compare with a data tensor Y of shape " + Shape.of(batch, width));
            if (labelsId == null) labelsId = y;
            else if (!labelsId.equals(y)) throw fail("the loss must use one label tensor");
        }

        private Node expect(Op op, String why) throws NotLayeredException {
            Node n = peek();
            if (n == null || n.op() != op) throw fail("expected " + why);
            i++;
            return n;
        }

        private boolean scaledByOut(String prev, int width) throws NotLayeredException {
            Node n = peek();
            if (n == null) return false;
            if (n.op() != Op.SCALE || !n.arg(0).equals(prev)) throw fail("expected the loss to end here or in scale(" + prev + ", " + width + ")");
            if (n.attribute("k") != width) throw fail("a summed loss must be scaled by the output width " + width);
            single(prev);
            i++;
            return true;
        }

        private Loss matchLoss(String h, int batch, int width) throws NotLayeredException {
            Node n = peek();
            if (n == null) throw fail("expected a loss after the last layer");
            switch (n.op()) {
                case SOFTMAX_CROSS_ENTROPY -> {
                    if (!n.arg(0).equals(h)) throw fail("the loss must read the last layer's output");
                    labels(n.arg(1), batch, width);
                    i++;
                    return Loss.SOFTMAX_CROSS_ENTROPY;
                }
                case MSE -> {
                    if (!n.arg(0).equals(h)) throw fail("the loss must read the last layer's output");
                    labels(n.arg(1), batch, width);
                    i++;
                    return scaledByOut(n.id(), width) ? Loss.L2 : Loss.MSE;
                }
                case SUB -> {
                    if (n.arg(0).equals(h)) {
                        labels(n.arg(1), batch, width);
                        i++;
                        single(n.id());
                        Node abs = expect(Op.ABS, "abs(" + n.id() + ")");
                        if (!abs.arg(0).equals(n.id())) throw fail("expected abs(" + n.id() + ")");
                        single(abs.id());
                        Node mean = expect(Op.MEAN, "mean(" + abs.id() + ")");
                        if (!mean.arg(0).equals(abs.id())) throw fail("expected mean(" + abs.id() + ")");
                        return scaledByOut(mean.id(), width) ? Loss.L1 : Loss.MAE;
                    }
                    if (n.arg(1).equals(h)) {
                        labels(n.arg(0), batch, width);
                        i++;
                        single(n.id());
                        Node mul = expect(Op.MUL, "mul(Y, " + n.id() + ") of the hinge loss");
                        boolean ok = (mul.arg(0).equals(labelsId) && mul.arg(1).equals(n.id()))
                                || (mul.arg(1).equals(labelsId) && mul.arg(0).equals(n.id()));
                        if (!ok) throw fail("expected mul(Y, " + n.id() + ") of the hinge loss");
                        single(mul.id());
                        Node relu = expect(Op.RELU, "relu(" + mul.id() + ")");
                        if (!relu.arg(0).equals(mul.id())) throw fail("expected relu(" + mul.id() + ")");
                        single(relu.id());
                        Node mean = expect(Op.MEAN, "mean(" + relu.id() + ")");
                        if (!mean.arg(0).equals(relu.id())) throw fail("expected mean(" + relu.id() + ")");
                        if (!scaledByOut(mean.id(), width)) throw fail("the hinge loss must be scaled by the output width");
                        return Loss.HINGE;
                    }
                    throw fail("the loss must read the last layer's output");
                }
                default -> throw fail("expected a loss (softmax_cross_entropy, mse, mean absolute error or hinge)");
            }
        }
    }
}
