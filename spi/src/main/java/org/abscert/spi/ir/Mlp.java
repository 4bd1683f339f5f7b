package org.abscert.spi.ir;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.abscert.spi.InvalidInputException;

/**
 * The {@code mlp} shorthand of a procedure file: a dense network {@code z_l = h_{l-1}·W_l + b_l},
 * {@code h_l = act_l(z_l)}, with a loss on the last layer's output.
 *
 * <p>{@link #expand} gives parameters {@code W1, b1, W2, b2, …} ({@code W_l} of shape [in, out]) and data
 * {@code X} [batch, input] and {@code Y} [batch, out]. Node ids: {@code xw<l>} (product, only with bias),
 * {@code z<l>} (pre-activation), {@code h<l>} (activation, absent for identity), and {@code loss}.
 *
 * @param input  input width
 * @param layers each layer's width and activation
 * @param bias   whether layers have biases
 * @param loss   {@code softmax_cross_entropy}, {@code mse} or {@code l1} (mean absolute error, through abs)
 * @param batch  rows of X and Y
 */
public record Mlp(int input, List<Layer> layers, boolean bias, String loss, int batch) {

    /** Activations the shorthand accepts. */
    public static final List<String> ACTIVATIONS =
            List.of("identity", "relu", "leaky_relu", "abs", "hardtanh", "tanh", "sigmoid", "softplus");
    public static final List<String> LOSSES = List.of("softmax_cross_entropy", "mse", "l1");

    /**
     * One dense layer.
     *
     * @param alpha the leaky_relu slope (ignored for other activations); 0.01 when not given
     */
    public record Layer(int width, String activation, double alpha) {
        public Layer(int width, String activation) { this(width, activation, 0.01); }
    }

    public Mlp {
        layers = List.copyOf(layers);
        Objects.requireNonNull(loss);
    }

    /** Widths from input to output, e.g. {@code [64, 128, 128, 10]}. */
    public int[] widths() {
        int[] w = new int[layers.size() + 1];
        w[0] = input;
        for (int i = 0; i < layers.size(); i++) w[i + 1] = layers.get(i).width();
        return w;
    }

    /** Validates the shorthand and expands it into a procedure; paths in errors point into {@code $.mlp}. */
    public Procedure expand(String source, String name) throws InvalidInputException {
        if (input <= 0) throw new InvalidInputException(source, "$.mlp.input", "input width must be positive, got " + input);
        if (batch <= 0) throw new InvalidInputException(source, "$.mlp.batch", "batch must be positive, got " + batch);
        if (layers.isEmpty()) throw new InvalidInputException(source, "$.mlp.layers", "at least one layer is needed");
        // three nodes per layer at most, plus the loss: refuse here, where the path names the shorthand
        if (3L * layers.size() + 3 > Procedure.MAX_NODES)
            throw new InvalidInputException(source, "$.mlp.layers", layers.size() + " layers expand to more than the cap of "
                    + Procedure.MAX_NODES + " nodes");
        if (!LOSSES.contains(loss))
            throw new InvalidInputException(source, "$.mlp.loss", "unknown loss '" + loss + "' (expected one of " + LOSSES + ")");
        List<TensorDecl> params = new ArrayList<>();
        List<Node> nodes = new ArrayList<>();
        int prev = input;
        String h = "X";
        for (int l = 1; l <= layers.size(); l++) {
            Layer layer = layers.get(l - 1);
            String at = "$.mlp.layers[" + (l - 1) + "]";
            if (layer.width() <= 0) throw new InvalidInputException(source, at + "[0]", "width must be positive, got " + layer.width());
            if (!ACTIVATIONS.contains(layer.activation()))
                throw new InvalidInputException(source, at + "[1]", "unknown activation '" + layer.activation()
                        + "' (expected one of " + ACTIVATIONS + ")");
            if ((long) prev * layer.width() > Shape.MAX_ELEMENTS)
                throw new InvalidInputException(source, at + "[0]", "W" + l + " would have more than " + Shape.MAX_ELEMENTS + " elements");
            params.add(new TensorDecl("W" + l, Shape.of(prev, layer.width())));
            String z = "z" + l;
            if (bias) {
                params.add(new TensorDecl("b" + l, Shape.of(layer.width())));
                nodes.add(new Node("xw" + l, Op.MATMUL, h, "W" + l));
                nodes.add(new Node(z, Op.ADD, "xw" + l, "b" + l));
            } else {
                nodes.add(new Node(z, Op.MATMUL, h, "W" + l));
            }
            h = switch (layer.activation()) {
                case "identity" -> z;
                case "leaky_relu" -> {
                    nodes.add(new Node("h" + l, Op.LEAKY_RELU, List.of(z), Map.of("alpha", layer.alpha())));
                    yield "h" + l;
                }
                default -> {
                    nodes.add(new Node("h" + l, Op.byJsonName(layer.activation()).orElseThrow(), z));
                    yield "h" + l;
                }
            };
            prev = layer.width();
        }
        lossNodes(loss, h, nodes);
        List<TensorDecl> data = List.of(new TensorDecl("X", Shape.of(batch, input)), new TensorDecl("Y", Shape.of(batch, prev)));
        return Procedure.create(source, name, params, data, nodes, "loss");
    }

    /** Expansion for Java callers, where an invalid spec is a programming error. */
    public Procedure expand(String name) {
        try {
            return expand("<builder>", name);
        } catch (InvalidInputException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** The loss nodes of the shorthands (mlp, cnn): {@code loss} of output {@code h} against data {@code Y}. */
    static void lossNodes(String loss, String h, List<Node> nodes) {
        switch (loss) {
            case "mse" -> nodes.add(new Node("loss", Op.MSE, h, "Y"));
            case "softmax_cross_entropy" -> nodes.add(new Node("loss", Op.SOFTMAX_CROSS_ENTROPY, h, "Y"));
            default -> {
                nodes.add(new Node("err", Op.SUB, h, "Y"));
                nodes.add(new Node("abserr", Op.ABS, "err"));
                nodes.add(new Node("loss", Op.MEAN, "abserr"));
            }
        }
    }
}
