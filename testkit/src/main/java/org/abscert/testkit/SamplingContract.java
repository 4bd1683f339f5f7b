package org.abscert.testkit;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.statistics.Statistics;
import org.abscert.certifier.ClarkeSet;
import org.abscert.spi.Backend;
import org.abscert.spi.Evaluation;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Point;
import org.abscert.testkit.gen.Activation;
import org.abscert.testkit.gen.Dyadic;
import org.abscert.testkit.gen.NetCase;
import org.abscert.testkit.gen.NetSpace;
import org.abscert.testkit.support.Coverage;
import org.abscert.testkit.support.Judge;
import org.abscert.testkit.support.Vectors;

/**
 * THEORY.md §3: the limiting gradients the certifier enumerates are the gradients f has right next to the
 * point. At x̊ + t·d for a random direction d and a small dyadic t, f is differentiable (no switch is zero
 * there) and the backend's float64 gradient is that of the piece d enters; extrapolated to t = 0
 * (2·g(t) − g(2t), exact to second order on one piece) it must equal one of
 * {@link ClarkeSet#limitingGradients()}. A wrong smooth gradient or a missing piece makes this fail.
 */
@AddLifecycleHook(KitHook.class)
public interface SamplingContract extends BackendUnderTest {

    Set<Activation> ACTIVATIONS = EnumSet.allOf(Activation.class);

    /** A net at a kink and directions to sample along. */
    record Sampling(NetCase net, List<double[]> directions, double t) {
        @Override public String toString() {
            return "t = " + t + ", " + directions.size() + " directions, first " + Vectors.show(directions.get(0)) + "\n" + net;
        }
    }

    /** Relative distance allowed between the extrapolated and the enumerated gradient. */
    double TOLERANCE = 1e-6;

    @Provide default Arbitrary<Sampling> kinkedNetsWithDirections() {
        NetSpace nets = Kit.of(this).narrow(NetSpace.denseNets().depthUpTo(2).widthsUpTo(4).batchBetween(1, 3)
                .withKinksForced(1, 3).activations(ACTIVATIONS.toArray(Activation[]::new)));
        return Arbitraries.oneOf(nets.arbitrary(), nets.withDuplicatedSamples().arbitrary()).flatMap(net -> Combinators.combine(
                Dyadic.directionEntries().list().ofSize(net.procedure().parameterSize())
                        .map(l -> l.stream().mapToDouble(Double::doubleValue).toArray()).list().ofMinSize(1).ofMaxSize(4),
                Dyadic.steps(20, 24)).as((ds, t) -> new Sampling(net, ds, t)));
    }

    @Property(tries = 50) @Label("float64 gradients next to a kink are enumerated limiting gradients")
    default void gradientsNextToAKinkAreLimitingGradients(@ForAll("kinkedNetsWithDirections") Sampling s) {
        Backend backend = Kit.of(this).backend();
        ClarkeSet clarke = Judge.CERTIFIER.clarke(s.net().procedure(), s.net().point());
        if (!clarke.complete()) {
            Coverage.inconclusive("enumeration incomplete (work cap)");
            return;
        }
        double[] x0 = s.net().flatParameters();
        Optional<Evaluation> at0 = Judge.evaluate(backend, s.net().procedure(), s.net().point(), Precision.FLOAT64, s.toString());
        if (at0.isEmpty()) return;
        String lastSkip = null;
        boolean compared = false;
        for (double[] d : s.directions()) {
            Evaluation near = at(backend, s, x0, d, s.t());
            Evaluation nearer = at(backend, s, x0, d, 2 * s.t());
            String skip = unusable(at0.get(), near, nearer, s.t());
            if (skip != null) {
                Statistics.label("sample").collect(skip);
                lastSkip = skip;
                continue;
            }
            double[] g = new double[x0.length];
            for (int i = 0; i < g.length; i++) g[i] = 2 * near.gradient()[i] - nearer.gradient()[i];
            double best = Double.POSITIVE_INFINITY;
            for (double[] lg : clarke.limitingGradients())
                best = Math.min(best, Vectors.maxAbs(Vectors.minus(lg, g)) / Math.max(1, Vectors.maxAbs(lg)));
            Statistics.label("sample").collect("compared");
            assertTrue(best <= TOLERANCE, "the gradient next to the point along d, " + Vectors.show(g)
                    + ", is at relative distance " + best + " from every one of the " + clarke.limitingGradients().size()
                    + " limiting gradients\n  d = " + Vectors.show(d) + "\n" + s);
            compared = true;
        }
        if (compared) Coverage.covered();
        else Coverage.inconclusive("no direction usable: " + lastSkip);
    }

    private static Evaluation at(Backend backend, Sampling s, double[] x0, double[] d, double t) {
        double[] x = new double[x0.length];
        for (int i = 0; i < x.length; i++) x[i] = x0[i] + t * d[i];
        Point p = s.net().point().withParameters(s.net().procedure(), x);
        return Judge.evaluate(backend, s.net().procedure(), p, Precision.FLOAT64, s.toString()).orElseThrow(() ->
                new AssertionError("backend " + backend.name() + " supports the procedure at x̊ but not next to it\n" + s));
    }

    /**
     * Why a sample cannot be compared, or null: a switch is zero at t or 2t (not a differentiable point), a
     * switch that was away from its kink changed sign (t too large), the two points lie on different pieces,
     * or an active switch moved only to second order (the direction is tangent to a kink surface).
     */
    private static String unusable(Evaluation at0, Evaluation near, Evaluation nearer, double t) {
        double[] z0 = at0.switches().values(), z1 = near.switches().values(), z2 = nearer.switches().values();
        for (int i = 0; i < z0.length; i++) {
            if (z1[i] == 0 || z2[i] == 0) return "a switch is zero along d";
            if (z0[i] != 0 && Math.signum(z0[i]) != Math.signum(z1[i])) return "an inactive switch flipped";
            if (Math.signum(z1[i]) != Math.signum(z2[i])) return "t and 2t on different pieces";
            if (z0[i] == 0 && Math.abs(z1[i]) < t / 1024) return "an active switch moved to second order only";
        }
        return null;
    }
}
