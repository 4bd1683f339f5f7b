package org.abscert.testkit.gen;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.ir.Node;
import org.abscert.spi.ir.Op;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.ir.Tensor;
import org.abscert.spi.ir.TensorDecl;

/**
 * relu(u) − relu(−u) (= u, THEORY.md §4) embedded in a generated net: with the net's last hidden layer h,
 *
 * <pre>
 *   u = h·Wu + xu          [batch, m]
 *   y = loss + c · Σ (relu(u) − relu(−u))
 * </pre>
 *
 * and xu chosen so that some entries of u are exactly 0. Since relu(u) − relu(−u) = u, y is affine in xu
 * with slope c·batch in every entry, whatever the rest of the net does: every Clarke gradient has that
 * xu-block. A tool with relu′(0) = r gives c·(batch + (2r − 1)·zeros) instead, wrong unless r = ½.
 */
public final class ReluDifferenceFamily {
    private ReluDifferenceFamily() {}

    /**
     * A member of the family.
     *
     * @param base      the net it is embedded in
     * @param procedure the net with the relu difference added
     * @param point     the net's point with Wu and xu added
     * @param c         the coefficient of the relu difference in y
     * @param zeros     per entry of xu, the rows where u is exactly 0
     */
    public record Member(NetCase base, Procedure procedure, Point point, double c, int[] zeros) {

        /** Offset of xu in the flat gradient. */
        public int xuOffset() { return procedure.parameterOffset("xu"); }

        /** Width m of u. */
        public int width() { return zeros.length; }

        /** The xu-block of every Clarke gradient: c · batch in each entry. */
        public double trueSlope() { return c * base.architecture().batch(); }

        @Override public String toString() {
            return "relu(u) − relu(−u) embedded in " + base.procedure().name() + " (c = " + c + ", zero rows of u per column "
                    + java.util.Arrays.toString(zeros) + "; base: " + String.join("; ", base.notes()) + ")\nprocedure:\n"
                    + org.abscert.spi.json.ProcedureJson.write(procedure) + "\npoint:\n"
                    + org.abscert.spi.json.PointJson.write(procedure, point);
        }
    }

    /** Members embedded in small nets with biases, 1–3 rows, and u of width 1–3 with 1–3 forced zeros. */
    public static Arbitrary<Member> members() { return members(bases()); }

    /** The nets members are embedded in by default: small, with biases, every activation, 0–2 forced kinks. */
    public static NetSpace bases() {
        return NetSpace.denseNets().withBiases().depthUpTo(2).widthsUpTo(4).batchBetween(1, 3)
                .withKinksForced(0, 2).activations(Activation.values());
    }

    /** Members embedded in nets of the given space, with u of width 1–3 and 1–3 forced zeros. */
    public static Arbitrary<Member> members(NetSpace bases) {
        return bases.arbitrary().flatMap(base -> {
            int last = base.architecture().hidden().get(base.architecture().hidden().size() - 1).width();
            return Arbitraries.integers().between(1, 3).flatMap(m -> Combinators.combine(
                    Dyadic.weights().list().ofSize(last * m),
                    Dyadic.weights().list().ofSize(m),
                    Dyadic.nonZeroCoefficients(),
                    zeroSites().list().ofMinSize(1).ofMaxSize(3)).as((wu, xu, c, sites) -> embed(base, m, wu, xu, c, sites)));
        }).filter(m -> m != null);
    }

    /** (column of u, row of the batch) pairs, reduced modulo the sizes. */
    static Arbitrary<int[]> zeroSites() {
        return Combinators.combine(Arbitraries.integers().between(0, 2), Arbitraries.integers().between(0, 2))
                .as((i, k) -> new int[] {i, k});
    }

    static Member embed(NetCase base, int m, List<Double> wuList, List<Double> xuList, double c, List<int[]> sites) {
        Architecture arch = base.architecture();
        int batch = arch.batch();
        int hidden = arch.hidden().size();
        int width = arch.hidden().get(hidden - 1).width();
        String h = "h" + hidden;
        double[] hv = lastHidden(base);
        double[] wu = wuList.stream().mapToDouble(Double::doubleValue).toArray();
        double[] xu = xuList.stream().mapToDouble(Double::doubleValue).toArray();
        for (int[] s : sites) {
            int i = Math.floorMod(s[0], m), k = Math.floorMod(s[1], batch);
            xu[i] = -dot(hv, k, width, wu, i, m);
        }
        int[] zeros = new int[m];
        int fraction = NetValues.fractionBits(hv) + NetValues.fractionBits(wu);
        for (int k = 0; k < batch; k++)
            for (int i = 0; i < m; i++) {
                double bound = Math.abs(xu[i]);
                for (int j = 0; j < width; j++) bound += Math.abs(hv[k * width + j] * wu[j * m + i]);
                if (Math.scalb(bound, Math.max(fraction, NetValues.fractionBits(xu))) >= 1 << 24) return null;
                if (dot(hv, k, width, wu, i, m) + xu[i] == 0) zeros[i]++;
            }
        List<TensorDecl> params = new ArrayList<>(base.procedure().parameters());
        params.add(new TensorDecl("Wu", Shape.of(width, m)));
        params.add(new TensorDecl("xu", Shape.of(m)));
        List<Node> nodes = new ArrayList<>(base.procedure().nodes());
        nodes.add(new Node("hwu", Op.MATMUL, h, "Wu"));
        nodes.add(new Node("u", Op.ADD, "hwu", "xu"));
        nodes.add(new Node("posu", Op.RELU, "u"));
        nodes.add(new Node("negu", Op.NEG, "u"));
        nodes.add(new Node("relunegu", Op.RELU, "negu"));
        nodes.add(new Node("diff", Op.SUB, "posu", "relunegu"));
        nodes.add(new Node("sumdiff", Op.SUM, "diff"));
        nodes.add(new Node("scaled", Op.SCALE, List.of("sumdiff"), Map.of("k", c)));
        nodes.add(new Node("y", Op.ADD, base.procedure().output(), "scaled"));
        Procedure p;
        try {
            p = Procedure.create("<relu-difference>", base.procedure().name() + "-reludiff", params,
                    base.procedure().data(), nodes, "y");
        } catch (InvalidInputException e) {
            throw new IllegalStateException(e);
        }
        Map<String, Tensor> ps = new LinkedHashMap<>(base.point().parameters());
        ps.put("Wu", Tensor.of(Shape.of(width, m), wu));
        ps.put("xu", Tensor.of(Shape.of(m), xu));
        return new Member(base, p, new Point(ps, base.point().data()), c, zeros);
    }

    private static double dot(double[] h, int k, int width, double[] wu, int i, int m) {
        double s = 0;
        for (int j = 0; j < width; j++) s += h[k * width + j] * wu[j * m + i];
        return s;
    }

    private static double[] lastHidden(NetCase base) {
        NetValues v = new NetValues(base.architecture(), base.procedure(), toList(base.flatParameters()),
                toList(base.point().data().get("X").values()), toList(base.point().data().get("Y").values()));
        List<NetValues.Layer> layers = v.forward();
        return layers.get(layers.size() - 2).out();
    }

    private static List<Double> toList(double[] a) {
        List<Double> l = new ArrayList<>(a.length);
        for (double d : a) l.add(d);
        return l;
    }
}
