package org.abscert.testkit.gen;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.abscert.spi.ir.Mlp;
import org.abscert.spi.ir.Op;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.ProcedureBuilder;

/**
 * The shape of a generated dense net: {@code z_l = h_{l−1}·W_l (+ b_l)}, {@code h_l = act_l(z_l)} for the
 * hidden layers, then a linear output layer and a loss. Parameter and node names follow the {@code mlp}
 * shorthand (W1, b1, …, xw1, z1, h1, …, loss; data X [batch, input], Y [batch, output]); a max-of-two layer
 * {@code l} has W{l}a, b{l}a, W{l}b, b{l}b instead of W{l}, b{l}.
 *
 * @param input  input width
 * @param hidden the hidden layers, 1 to 4 of them
 * @param output output width
 * @param bias   whether every layer has a bias
 * @param loss   the loss on the output
 * @param batch  rows of X and Y
 */
public record Architecture(int input, List<Hidden> hidden, int output, boolean bias, Loss loss, int batch) {

    /** One hidden layer. */
    public record Hidden(int width, Activation activation) {}

    public Architecture {
        hidden = List.copyOf(hidden);
    }

    /** Widths from input to output. */
    public int[] widths() {
        int[] w = new int[hidden.size() + 2];
        w[0] = input;
        for (int i = 0; i < hidden.size(); i++) w[i + 1] = hidden.get(i).width();
        w[w.length - 1] = output;
        return w;
    }

    /** The kink and structural ops the procedure contains, so a backend's support can be judged up front. */
    public Set<Op> ops() {
        Set<Op> ops = EnumSet.of(Op.MATMUL, loss.op());
        if (bias) ops.add(Op.ADD);
        if (loss == Loss.L1) ops.addAll(List.of(Op.SUB, Op.MEAN));
        for (Hidden h : hidden) ops.addAll(h.activation().ops());
        return ops;
    }

    /** A short name such as {@code net-4x[3relu,2abs]x1-bias-mse-b2}, used as the procedure name. */
    public String name() {
        return "net-" + input + "x[" + hidden.stream().map(h -> h.width() + h.activation().mlpName())
                .collect(Collectors.joining(",")) + "]x" + output + (bias ? "-bias" : "-nobias") + "-"
                + loss.mlpName() + "-b" + batch;
    }

    /** The procedure: through the {@code mlp} shorthand when it can express the net, else node by node. */
    public Procedure procedure() {
        if (hidden.stream().allMatch(h -> h.activation().inMlpShorthand())) {
            List<Mlp.Layer> layers = new ArrayList<>();
            for (Hidden h : hidden) layers.add(new Mlp.Layer(h.width(), h.activation().mlpName(), Activation.LEAKY_ALPHA));
            layers.add(new Mlp.Layer(output, "identity"));
            return new Mlp(input, layers, bias, loss.mlpName(), batch).expand(name());
        }
        ProcedureBuilder b = ProcedureBuilder.named(name());
        String h = b.data("X", batch, input);
        int prev = input;
        for (int l = 1; l <= hidden.size() + 1; l++) {
            boolean last = l == hidden.size() + 1;
            int width = last ? output : hidden.get(l - 1).width();
            Activation act = last ? null : hidden.get(l - 1).activation();
            if (act == Activation.MAX_OF_TWO) {
                String za = dense(b, h, prev, width, l, "a");
                String zb = dense(b, h, prev, width, l, "b");
                h = b.node("h" + l, Op.MAX, za, zb);
            } else {
                String z = dense(b, h, prev, width, l, "");
                h = act == null ? z : activate(b, act, z, l);
            }
            prev = width;
        }
        String y = b.data("Y", batch, output);
        return switch (loss) {
            case MSE -> b.build(b.node("loss", Op.MSE, h, y));
            case SOFTMAX_CROSS_ENTROPY -> b.build(b.node("loss", Op.SOFTMAX_CROSS_ENTROPY, h, y));
            case L1 -> {
                String err = b.node("err", Op.SUB, h, y);
                yield b.build(b.node("loss", Op.MEAN, b.node("abserr", Op.ABS, err)));
            }
        };
    }

    private String dense(ProcedureBuilder b, String in, int from, int to, int l, String suffix) {
        String w = b.parameter("W" + l + suffix, from, to);
        if (!bias) return b.node("z" + l + suffix, Op.MATMUL, in, w);
        String bb = b.parameter("b" + l + suffix, to);
        return b.node("z" + l + suffix, Op.ADD, b.node("xw" + l + suffix, Op.MATMUL, in, w), bb);
    }

    private static String activate(ProcedureBuilder b, Activation act, String z, int l) {
        return switch (act) {
            case RELU -> b.node("h" + l, Op.RELU, z);
            case LEAKY_RELU -> b.node("h" + l, Op.LEAKY_RELU, java.util.Map.of("alpha", Activation.LEAKY_ALPHA), z);
            case ABS -> b.node("h" + l, Op.ABS, z);
            case HARDTANH -> b.node("h" + l, Op.HARDTANH, z);
            case RELU_DIFFERENCE -> {
                String pos = b.node("pos" + l, Op.RELU, z);
                String neg = b.node("neg" + l, Op.RELU, b.node("negz" + l, Op.NEG, z));
                yield b.node("h" + l, Op.SUB, pos, neg);
            }
            case TANH -> b.node("h" + l, Op.TANH, z);
            case SIGMOID -> b.node("h" + l, Op.SIGMOID, z);
            case SOFTPLUS -> b.node("h" + l, Op.SOFTPLUS, z);
            case MAX_OF_TWO -> throw new IllegalArgumentException("max of two is built from two dense layers");
        };
    }
}
