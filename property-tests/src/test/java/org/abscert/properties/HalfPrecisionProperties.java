package org.abscert.properties;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import org.abscert.certifier.Candidate;
import org.abscert.certifier.Certifier;
import org.abscert.certifier.Result;
import org.abscert.certifier.Verdict;
import org.abscert.certifier.probe.KinkRuleProbe;
import org.abscert.certifier.probe.ProbeReport;
import org.abscert.spi.Backend;
import org.abscert.spi.BackendException;
import org.abscert.spi.Evaluation;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Mlp;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.Tensor;
import org.abscert.spi.ir.TensorDecl;
import org.abscert.spi.json.PointJson;
import org.abscert.spi.json.ProcedureJson;
import org.abscert.tape.TapeBackend;

/**
 * The 16-bit formats (bfloat16, float16) on every discovered backend that offers them.
 *
 * <ul>
 *   <li><b>Rounding in the smooth parts never refutes</b>: a dense ReLU network at a random (non-dyadic) point,
 *       evaluated by a backend in 16-bit, whose trace has no switch at 0 and in which the certifier finds no
 *       spurious kink, is never REFUTED by {@code Certifier.withDefaults()} — the rounding of every op is a
 *       backend's arithmetic, not a wrong gradient.</li>
 *   <li><b>Agreement at small dyadic points</b>: where the tape's 16-bit run is exact (its value, switches and
 *       gradient equal its float64 run, so nothing was rounded), every backend's 16-bit gradient equals the
 *       tape's (all backends share relu′(0) = 0).</li>
 *   <li><b>Batch 1 with biases</b>: at such a point with a pre-activation forced to exactly 0 (LIKQ holds,
 *       THEORY.md §7), each backend's 16-bit gradient is CERTIFIED.</li>
 * </ul>
 *
 * A case that breaks the first property is printed as procedure and point JSON, so it can be replayed with
 * {@code abscert certify … --dtype}.
 */
class HalfPrecisionProperties {

    /** A dense ReLU network and the seed of its point. */
    record Net(int input, int hidden, int output, int batch, String loss, long seed) {
        Procedure procedure() {
            return new Mlp(input, List.of(new Mlp.Layer(hidden, "relu"), new Mlp.Layer(output, "identity")), true, loss, batch)
                    .expand("half-" + input + "-" + hidden + "-" + output + "-b" + batch);
        }

        /** Uniform values in [−1, 1]: generic, so 16-bit rounding happens everywhere. */
        Point randomPoint(Procedure p) { return point(p, r -> r.nextDouble(-1, 1)); }

        /** Multiples of 1/8 in [−1, 1]: small dyadics, exactly representable in both 16-bit formats. */
        Point dyadicPoint(Procedure p) { return point(p, r -> (r.nextInt(17) - 8) / 8.0); }

        private Point point(Procedure p, java.util.function.ToDoubleFunction<SplittableRandom> v) {
            SplittableRandom r = new SplittableRandom(seed);
            Map<String, Tensor> ps = new LinkedHashMap<>(), ds = new LinkedHashMap<>();
            for (TensorDecl d : p.parameters()) ps.put(d.name(), tensor(d, r, v));
            for (TensorDecl d : p.data()) {
                if (d.name().equals("Y") && loss.equals("softmax_cross_entropy")) {
                    double[] y = new double[d.shape().size()];
                    for (int row = 0; row < batch; row++) y[row * output + r.nextInt(output)] = 1;
                    ds.put(d.name(), Tensor.of(d.shape(), y));
                } else {
                    ds.put(d.name(), tensor(d, r, v));
                }
            }
            return new Point(ps, ds);
        }

        private static Tensor tensor(TensorDecl d, SplittableRandom r, java.util.function.ToDoubleFunction<SplittableRandom> v) {
            double[] x = new double[d.shape().size()];
            for (int i = 0; i < x.length; i++) x[i] = v.applyAsDouble(r);
            return Tensor.of(d.shape(), x);
        }
    }

    @Provide Arbitrary<Net> nets() {
        return Combinators.combine(Arbitraries.integers().between(1, 4), Arbitraries.integers().between(1, 4),
                Arbitraries.integers().between(1, 3), Arbitraries.integers().between(1, 3),
                Arbitraries.of("mse", "softmax_cross_entropy"), Arbitraries.longs())
                .as(Net::new);
    }

    @Provide Arbitrary<Net> singleSampleNets() {
        return Combinators.combine(Arbitraries.integers().between(1, 4), Arbitraries.integers().between(1, 4),
                Arbitraries.integers().between(1, 3), Arbitraries.of("mse", "softmax_cross_entropy"), Arbitraries.longs())
                .as((i, h, o, l, s) -> new Net(i, h, o, 1, l, s));
    }

    /** Every discovered backend that starts, with each 16-bit format it offers. */
    static List<Object[]> halfBackends() {
        List<Object[]> out = new ArrayList<>();
        for (var provider : org.abscert.spi.Backends.providers()) {
            Backend b;
            try {
                b = provider.backend();
            } catch (Exception | LinkageError e) {
                System.out.println("HalfPrecisionProperties: skipped backend " + provider.name() + ": cannot start: " + e.getMessage());
                continue;
            }
            for (Precision p : List.of(Precision.BFLOAT16, Precision.FLOAT16))
                if (b.precisions().contains(p)) out.add(new Object[] {b, p});
        }
        return out;
    }

    private static final Map<String, ProbeReport> PROBES = new java.util.concurrent.ConcurrentHashMap<>();

    private static ProbeReport probe(Backend b, Precision p) throws BackendException {
        ProbeReport r = PROBES.get(b.name() + "/" + p);
        if (r == null) PROBES.put(b.name() + "/" + p, r = KinkRuleProbe.probe(b, p));
        return r;
    }

    private static String replay(Procedure p, Point x, Backend b, Precision pr, Result r) {
        return b.name() + " " + pr + ": " + r.verdict() + " " + r.reason() + ": " + r.detail()
                + "\nprocedure: " + ProcedureJson.write(p) + "\npoint: " + PointJson.write(p, x);
    }

    @Property(tries = 50) @Label("rounding in the smooth parts of a 16-bit evaluation never yields REFUTED")
    void smoothRoundingNeverRefutes(@ForAll("nets") Net net) throws BackendException {
        Procedure p = net.procedure();
        Point x = net.randomPoint(p);
        for (Object[] bp : halfBackends()) {
            Backend b = (Backend) bp[0];
            Precision pr = (Precision) bp[1];
            if (b.unsupported(p).isPresent()) continue;
            Evaluation e = b.evaluate(p, x, pr);
            if (e.switches().zeros() > 0) {
                Statistics.label("kink in the trace").collect(b.name() + " " + pr);
                continue;
            }
            Result r = Certifier.withDefaults().certify(p, x, Candidate.of(e, probe(b, pr).rules()));
            if (r.spuriousKinks() > 0) {
                Statistics.label("spurious kink").collect(b.name() + " " + pr);
                continue;
            }
            Statistics.label("verdict").collect(b.name() + " " + pr + " " + r.verdict());
            assertNotEquals(Verdict.REFUTED, r.verdict(), () -> replay(p, x, b, pr, r));
        }
    }

    @Property(tries = 50) @Label("at small dyadic points where the 16-bit tape is exact, every backend's 16-bit gradient equals it")
    void agreementAtExactDyadicPoints(@ForAll("nets") Net net) throws BackendException {
        Procedure p = net.procedure();
        Point x = net.dyadicPoint(p);
        TapeBackend tape = TapeBackend.create();
        Evaluation t64 = tape.evaluate(p, x, Precision.FLOAT64);
        for (Object[] bp : halfBackends()) {
            Backend b = (Backend) bp[0];
            Precision pr = (Precision) bp[1];
            Evaluation t = tape.evaluate(p, x, pr);
            boolean exact = t.value() == t64.value() && java.util.Arrays.equals(t.gradient(), t64.gradient())
                    && java.util.Arrays.equals(t.switches().values(), t64.switches().values());
            Statistics.label("tape exact in 16-bit").collect(pr + " " + exact);
            if (!exact || b.unsupported(p).isPresent() || b.name().equals(tape.name())) continue;
            Evaluation e = b.evaluate(p, x, pr);
            // delta 0: equal values, with −0 equal to +0
            assertArrayEquals(t.switches().values(), e.switches().values(), 0, b.name() + " " + pr + " switches");
            assertArrayEquals(t.gradient(), e.gradient(), 0, b.name() + " " + pr + " gradient");
            Statistics.label("compared").collect(b.name() + " " + pr);
        }
    }

    @Property(tries = 30) @Label("batch 1 with biases and a forced kink: every backend's 16-bit gradient is CERTIFIED")
    void singleSampleWithBiasesIsCertified(@ForAll("singleSampleNets") Net net) throws BackendException {
        Procedure p = net.procedure();
        Point x = forceFirstKink(p, net.dyadicPoint(p));
        for (Object[] bp : halfBackends()) {
            Backend b = (Backend) bp[0];
            Precision pr = (Precision) bp[1];
            if (b.unsupported(p).isPresent()) continue;
            Evaluation e = b.evaluate(p, x, pr);
            Optional<Double> z = Optional.of(e.switches().values()[0]);
            Statistics.label("first switch at 0").collect(b.name() + " " + pr + " " + (z.get() == 0));
            ProbeReport probe = probe(b, pr);
            if (!probe.absConsistent() || !probe.deterministic()) continue;
            Result r = Certifier.withDefaults().certify(p, x, Candidate.of(e, probe.rules()));
            Statistics.label("verdict").collect(b.name() + " " + pr + " " + r.verdict() + " " + r.reason());
            assertEquals(Verdict.CERTIFIED, r.verdict(), () -> replay(p, x, b, pr, r));
        }
    }

    /** Sets b1[0] so that the first hidden pre-activation of the sample is exactly 0 (X·W1[:,0] is a small dyadic). */
    static Point forceFirstKink(Procedure p, Point x) {
        double[] xs = x.value("X").values(), w = x.value("W1").values();
        int hidden = p.shape("W1").dim(1);
        double z = 0;
        for (int i = 0; i < xs.length; i++) z += xs[i] * w[i * hidden];
        Map<String, Tensor> ps = new LinkedHashMap<>(x.parameters());
        double[] b1 = x.value("b1").values().clone();
        b1[0] = -z;
        ps.put("b1", Tensor.of(p.shape("b1"), b1));
        return new Point(ps, x.data());
    }
}
