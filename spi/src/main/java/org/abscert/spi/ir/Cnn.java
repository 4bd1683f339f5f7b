package org.abscert.spi.ir;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.abscert.spi.InvalidInputException;

/**
 * The {@code cnn} shorthand of a procedure file: a sequential convolutional network on NCHW images.
 *
 * <p>Layers, numbered l = 1, 2, … in order, each a JSON array:
 * <ul>
 *   <li>{@code ["conv", channels, kernel, activation]}: conv2d (stride 1, no padding) with weight {@code K<l>}
 *       [channels, C, kernel, kernel] and bias {@code c<l>} [channels]; with {@code batchNorm} the bias is
 *       left out (batch norm's mean subtraction would cancel it) and {@code batch_norm} with {@code gamma<l>},
 *       {@code beta<l>} follows the convolution;</li>
 *   <li>{@code ["maxpool", kernel]} or {@code ["maxpool", kernel, stride]} (a stride below the kernel makes
 *       windows overlap), likewise {@code "avgpool"}; {@code ["globalavgpool"]}; {@code ["flatten"]};</li>
 *   <li>{@code ["dense", width, activation]}: {@code W<l>} [in, width], {@code b<l>} [width] as in the
 *       {@code mlp} shorthand; it needs a 2-D input (flatten first).</li>
 * </ul>
 * Data are {@code X} [batch, C, H, W] and {@code Y} [batch, outputs]. Node ids: {@code conv<l>},
 * {@code bn<l>}, {@code h<l>} (activation, absent for identity), {@code pool<l>}, {@code flat<l>},
 * {@code xw<l>}, {@code z<l>}, and {@code loss}.
 *
 * @param input     [C, H, W] of one image
 * @param layers    the layers in order
 * @param batchNorm whether every conv layer is followed by batch norm (training mode)
 * @param loss      {@code softmax_cross_entropy}, {@code mse} or {@code l1}
 * @param batch     images per evaluation
 */
public record Cnn(List<Integer> input, List<Layer> layers, boolean batchNorm, String loss, int batch) {

    /** Layer kinds the shorthand accepts. */
    public static final List<String> KINDS = List.of("conv", "maxpool", "avgpool", "globalavgpool", "flatten", "dense");

    /**
     * One layer.
     *
     * @param kind       one of {@link #KINDS}
     * @param size       channels (conv), kernel (pooling) or width (dense); 0 otherwise
     * @param kernel     conv kernel, or pooling stride (0: equal to the kernel); 0 otherwise
     * @param activation conv and dense activation (an {@link Mlp#ACTIVATIONS} entry other than leaky_relu), else null
     */
    public record Layer(String kind, int size, int kernel, String activation) {}

    public Cnn {
        input = List.copyOf(input);
        layers = List.copyOf(layers);
        Objects.requireNonNull(loss);
    }

    /** Validates the shorthand and expands it; paths in errors point into {@code $.cnn}. */
    public Procedure expand(String source, String name) throws InvalidInputException {
        if (input.size() != 3) throw new InvalidInputException(source, "$.cnn.input", "input must be [channels, height, width], got " + input);
        for (int k = 0; k < 3; k++)
            if (input.get(k) <= 0) throw new InvalidInputException(source, "$.cnn.input[" + k + "]", "must be positive, got " + input.get(k));
        if (batch <= 0) throw new InvalidInputException(source, "$.cnn.batch", "batch must be positive, got " + batch);
        if (layers.isEmpty()) throw new InvalidInputException(source, "$.cnn.layers", "at least one layer is needed");
        if (!Mlp.LOSSES.contains(loss))
            throw new InvalidInputException(source, "$.cnn.loss", "unknown loss '" + loss + "' (expected one of " + Mlp.LOSSES + ")");
        List<TensorDecl> params = new ArrayList<>();
        List<Node> nodes = new ArrayList<>();
        // current tensor and its shape without the batch axis: [C, H, W] or [width]
        String h = "X";
        int[] cur = {input.get(0), input.get(1), input.get(2)};
        for (int l = 1; l <= layers.size(); l++) {
            Layer layer = layers.get(l - 1);
            String at = "$.cnn.layers[" + (l - 1) + "]";
            boolean image = cur.length == 3;
            switch (layer.kind()) {
                case "conv" -> {
                    if (!image) throw new InvalidInputException(source, at, "conv needs an image input [C,H,W], the layer before gives [" + cur[0] + "]");
                    if (layer.size() <= 0) throw new InvalidInputException(source, at + "[1]", "channels must be positive, got " + layer.size());
                    if (layer.kernel() <= 0 || layer.kernel() > Math.min(cur[1], cur[2]))
                        throw new InvalidInputException(source, at + "[2]", "kernel " + layer.kernel() + " does not fit the "
                                + cur[1] + "x" + cur[2] + " input of this layer");
                    activation(source, at + "[3]", layer.activation());
                    params.add(new TensorDecl("K" + l, Shape.of(layer.size(), cur[0], layer.kernel(), layer.kernel())));
                    if (batchNorm) {
                        nodes.add(new Node("conv" + l, Op.CONV2D, h, "K" + l));
                        params.add(new TensorDecl("gamma" + l, Shape.of(layer.size())));
                        params.add(new TensorDecl("beta" + l, Shape.of(layer.size())));
                        nodes.add(new Node("bn" + l, Op.BATCH_NORM, "conv" + l, "gamma" + l, "beta" + l));
                        h = "bn" + l;
                    } else {
                        params.add(new TensorDecl("c" + l, Shape.of(layer.size())));
                        nodes.add(new Node("conv" + l, Op.CONV2D, h, "K" + l, "c" + l));
                        h = "conv" + l;
                    }
                    h = activate(nodes, h, layer.activation(), l);
                    cur = new int[] {layer.size(), cur[1] - layer.kernel() + 1, cur[2] - layer.kernel() + 1};
                }
                case "maxpool", "avgpool" -> {
                    if (!image) throw new InvalidInputException(source, at, layer.kind() + " needs an image input [C,H,W]");
                    int k = layer.size(), s = layer.kernel() == 0 ? k : layer.kernel();
                    if (k <= 0 || k > Math.min(cur[1], cur[2]))
                        throw new InvalidInputException(source, at + "[1]", "kernel " + k + " does not fit the " + cur[1] + "x" + cur[2]
                                + " input of this layer");
                    if (s <= 0) throw new InvalidInputException(source, at + "[2]", "stride must be positive, got " + s);
                    Op op = layer.kind().equals("maxpool") ? Op.MAX_POOL2D : Op.AVG_POOL2D;
                    nodes.add(new Node("pool" + l, op, List.of(h), Map.of(), Map.of("kernel", List.of(k, k), "stride", List.of(s, s))));
                    h = "pool" + l;
                    cur = new int[] {cur[0], (cur[1] - k) / s + 1, (cur[2] - k) / s + 1};
                }
                case "globalavgpool" -> {
                    if (!image) throw new InvalidInputException(source, at, "globalavgpool needs an image input [C,H,W]");
                    nodes.add(new Node("pool" + l, Op.GLOBAL_AVG_POOL2D, h));
                    h = "pool" + l;
                    cur = new int[] {cur[0]};
                }
                case "flatten" -> {
                    if (!image) throw new InvalidInputException(source, at, "flatten needs an image input [C,H,W]");
                    nodes.add(new Node("flat" + l, Op.FLATTEN, h));
                    h = "flat" + l;
                    cur = new int[] {cur[0] * cur[1] * cur[2]};
                }
                case "dense" -> {
                    if (image) throw new InvalidInputException(source, at, "dense needs a flat input; add [\"flatten\"] or [\"globalavgpool\"] before it");
                    if (layer.size() <= 0) throw new InvalidInputException(source, at + "[1]", "width must be positive, got " + layer.size());
                    activation(source, at + "[2]", layer.activation());
                    if ((long) cur[0] * layer.size() > Shape.MAX_ELEMENTS)
                        throw new InvalidInputException(source, at + "[1]", "W" + l + " would have more than " + Shape.MAX_ELEMENTS + " elements");
                    params.add(new TensorDecl("W" + l, Shape.of(cur[0], layer.size())));
                    params.add(new TensorDecl("b" + l, Shape.of(layer.size())));
                    nodes.add(new Node("xw" + l, Op.MATMUL, h, "W" + l));
                    nodes.add(new Node("z" + l, Op.ADD, "xw" + l, "b" + l));
                    h = activate(nodes, "z" + l, layer.activation(), l);
                    cur = new int[] {layer.size()};
                }
                default -> throw new InvalidInputException(source, at + "[0]", "unknown layer '" + layer.kind() + "' (expected one of " + KINDS + ")");
            }
        }
        if (cur.length != 1)
            throw new InvalidInputException(source, "$.cnn.layers", "the last layer must give a flat output (end with dense, flatten or globalavgpool)");
        Mlp.lossNodes(loss, h, nodes);
        List<TensorDecl> data = List.of(new TensorDecl("X", Shape.of(batch, input.get(0), input.get(1), input.get(2))),
                new TensorDecl("Y", Shape.of(batch, cur[0])));
        return Procedure.create(source, name, params, data, nodes, "loss");
    }

    private static void activation(String source, String at, String act) throws InvalidInputException {
        if (act == null || !Mlp.ACTIVATIONS.contains(act) || act.equals("leaky_relu"))
            throw new InvalidInputException(source, at, "unknown activation '" + act + "' (expected one of "
                    + Mlp.ACTIVATIONS.stream().filter(a -> !a.equals("leaky_relu")).toList() + ")");
    }

    private static String activate(List<Node> nodes, String z, String act, int l) {
        if (act.equals("identity")) return z;
        nodes.add(new Node("h" + l, Op.byJsonName(act).orElseThrow(), z));
        return "h" + l;
    }

    /** Expansion for Java callers, where an invalid spec is a programming error. */
    public Procedure expand(String name) {
        try {
            return expand("<builder>", name);
        } catch (InvalidInputException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }
}
