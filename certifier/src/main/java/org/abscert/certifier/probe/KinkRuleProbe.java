package org.abscert.certifier.probe;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.abscert.spi.Backend;
import org.abscert.spi.BackendException;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Mlp;
import org.abscert.spi.ir.Op;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.ProcedureBuilder;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.ir.Tensor;

/**
 * Measures a backend's kink rules with tiny procedures (relu′(0), abs′(0), max/min tie weights,
 * leaky_relu′(0), hardtanh′(±1)) and tests that they are deterministic and agnostic: the same on repeats,
 * at other positions in a tensor, at batch 1 and larger batches, and from several threads.
 *
 * <p>Only the {@link Backend} interface is used, so any discovered backend can be probed. Each rule is read
 * off the gradient of {@code sum(g(x))} at a point where {@code g} sits exactly at its kink; every value used
 * is a small dyadic rational, so every precision — float32, float64, bfloat16 and float16 — evaluates the same
 * point exactly (only α = 0.01 is rounded, and the rules report it rounded). A backend that only runs
 * layered networks (its {@link Backend#unsupported} rejects the tiny procedures) is probed for the unary kink
 * ops inside a two-layer network of the {@code mlp} shape instead, with the output weights and targets chosen
 * so that the first layer's weight gradient is the kink derivative itself. A rule the backend cannot run at all
 * is left NaN in {@link KinkRules} and named in the notes.
 *
 * <p>Determinism checks, per rule: {@value #REPEATS} repeated calls; a vector with only element 0, only
 * another element, or every element at the kink (the others off it); a dense layer at batch 1 and batch 4 with
 * single rows at the kink; and {@value #THREADS} threads evaluating at once.
 *
 * <p>Chain rule: relu′(0), abs′(0) and hardtanh′(±1) are measured again with an incoming gradient of
 * {@value #INCOMING}; a backward that writes a constant at the kink instead of multiplying the incoming gradient
 * is reported not abs-consistent, with a note.
 *
 * <p>Theorem 2 of THEORY.md needs one slope per neuron across samples and calls; the probe therefore compares
 * bit for bit, and {@link ProbeReport#deterministic()} is true only when every check saw the slope of the
 * first measurement. {@link ProbeReport#notes()} says which check differed and how.
 */
public final class KinkRuleProbe {
    /** The leaky_relu α at which {@link KinkRules#leaky0()} is measured. */
    public static final double LEAKY_ALPHA = 0.01;
    /** A second α, to see whether the implied |·| slope depends on α. */
    static final double SECOND_ALPHA = 0.25;

    /** The incoming gradient of the chain-rule check: dyadic, exact in every precision, and not 1. */
    static final double INCOMING = 0.375;
    static final int REPEATS = 3;
    static final int THREADS = 4;
    private static final int THREAD_ROUNDS = 1;
    private static final int VECTOR = 6;
    private static final int[] BATCHES = {1, 4};
    private static final int WIDTH = 3;
    /** Offsets from the kink for elements that must not sit at it (none crosses another kink). */
    private static final double[] AWAY = {1.5, -0.75, 2.25, -3.0, 0.5, -1.25};
    /** Offsets on the side of the kink where every unary kink op is exact in float32 (no α·u product). */
    private static final double[] AWAY_NONNEGATIVE = {1.5, 0.75, 2.25, 3.0, 0.5, 1.25};

    private KinkRuleProbe() {}

    /** One derivative value measured at a kink. */
    private enum Site {
        RELU("relu′(0)", Op.RELU, 0, false),
        ABS("abs′(0)", Op.ABS, 0, false),
        LEAKY("leaky_relu′(0)", Op.LEAKY_RELU, 0, false),
        MAX_A("∂max(a,b)/∂a at a tie", Op.MAX, 0, false),
        MAX_B("∂max(a,b)/∂b at a tie", Op.MAX, 0, true),
        MIN_A("∂min(a,b)/∂a at a tie", Op.MIN, 0, false),
        MIN_B("∂min(a,b)/∂b at a tie", Op.MIN, 0, true),
        HARDTANH_MINUS("hardtanh′(−1)", Op.HARDTANH, -1, false),
        HARDTANH_PLUS("hardtanh′(+1)", Op.HARDTANH, 1, false);

        final String label;
        final Op op;
        final double kink;
        /** For max/min: the measured argument is the second one. */
        final boolean second;

        Site(String label, Op op, double kink, boolean second) {
            this.label = label;
            this.op = op;
            this.kink = kink;
            this.second = second;
        }

        boolean binary() { return op.arity() == 2; }

        /** The value of a unary kink op at u (for the targets of the dense-network form). */
        double value(double u) {
            return switch (op) {
                case RELU -> Math.max(0, u);
                case ABS -> Math.abs(u);
                case LEAKY_RELU -> u >= 0 ? u : Double.NaN; // only used where u ≥ 0
                case HARDTANH -> Math.max(-1, Math.min(1, u));
                default -> throw new IllegalStateException(op.toString());
            };
        }

        /** Applies the kink op to the measured tensor {@code x}; {@code c} is the tie partner of max/min. */
        String apply(ProcedureBuilder b, String x, String c, double alpha) {
            return switch (op) {
                case RELU -> b.relu(x);
                case ABS -> b.abs(x);
                case LEAKY_RELU -> b.leakyRelu(x, alpha);
                case HARDTANH -> b.hardtanh(x);
                case MAX -> second ? b.max(c, x) : b.max(x, c);
                case MIN -> second ? b.min(c, x) : b.min(x, c);
                default -> throw new IllegalStateException(op.toString());
            };
        }
    }

    /** Probes every precision the backend offers, float64 last. */
    public static List<ProbeReport> probeAll(Backend backend) throws BackendException {
        List<ProbeReport> out = new ArrayList<>();
        for (Precision p : Precision.values()) if (backend.precisions().contains(p)) out.add(probe(backend, p));
        return out;
    }

    /**
     * Measures the backend's kink rules in one precision and checks that they are deterministic and agnostic.
     *
     * @throws BackendException when the backend does not offer the precision or fails while evaluating
     */
    public static ProbeReport probe(Backend backend, Precision precision) throws BackendException {
        if (!backend.precisions().contains(precision))
            throw new BackendException("backend " + backend.name() + " does not offer " + precision
                    + " (it offers " + backend.precisions() + ")");
        return new Run(backend, precision).run();
    }

    /**
     * One probe evaluation: a procedure, a point, and the gradient entries that must show the measured slope
     * (each with a description of where it sits).
     */
    private record Case(Procedure procedure, Point point, int[] kinkEntries, String[] where) {}

    /** The state of one probe: the backend, the measured values and what differed. */
    private static final class Run {
        private final Backend backend;
        private final Precision precision;
        private final Map<Site, Double> measured = new EnumMap<>(Site.class);
        /** Sites measured through the dense-network form because the backend lacks the tiny one. */
        private final Map<Site, Boolean> viaNetwork = new EnumMap<>(Site.class);
        /** The first gradient of the two-parameter max/min procedures, shared by the a and b sites. */
        private final Map<Op, double[]> tieGradients = new EnumMap<>(Op.class);
        private final List<String> notes = new ArrayList<>();
        private boolean deterministic = true;

        Run(Backend backend, Precision precision) {
            this.backend = backend;
            this.precision = precision;
        }

        ProbeReport run() throws BackendException {
            for (Site s : Site.values()) measure(s);
            for (Site s : Site.values()) {
                if (!measured.containsKey(s)) continue;
                positions(s);
                batches(s);
                threads(s);
            }
            KinkRules rules = new KinkRules(value(Site.RELU), value(Site.ABS), value(Site.MAX_A), value(Site.MAX_B),
                    value(Site.MIN_A), value(Site.MIN_B), precision.round(LEAKY_ALPHA), value(Site.LEAKY),
                    value(Site.HARDTANH_MINUS), value(Site.HARDTANH_PLUS));
            // with a non-deterministic backend the rules are one sample; comparing two α says nothing more
            if (measured.containsKey(Site.LEAKY) && deterministic) leakyAlpha(rules);
            consistencyNotes(rules);
            // a rule that changes between calls has no single value to scale; the determinism notes say why
            boolean chainRule = !deterministic || chainRule();
            return new ProbeReport(backend.name(), precision, rules, rules.absConsistent() && chainRule, deterministic,
                    List.copyOf(notes));
        }

        private double value(Site s) {
            return measured.getOrDefault(s, Double.NaN);
        }

        private boolean usesNetwork(Site s) { return viaNetwork.getOrDefault(s, false); }

        // ---- the scalar measurement, repeated ----

        private void measure(Site s) throws BackendException {
            Case c = scalar(s, LEAKY_ALPHA);
            Optional<String> why = backend.unsupported(c.procedure());
            if (why.isPresent() && !s.binary()) {
                Case n = network(s, 1, 1, new boolean[][] {{true}}, LEAKY_ALPHA);
                Optional<String> netWhy = backend.unsupported(n.procedure());
                if (netWhy.isEmpty()) {
                    viaNetwork.put(s, true);
                    notes.add(s.label + ": measured inside a dense network (" + why.get() + ")");
                    c = n;
                    why = Optional.empty();
                } else {
                    why = Optional.of(why.get() + "; inside a dense network: " + netWhy.get());
                }
            }
            if (why.isPresent()) {
                notes.add(s.label + ": not measured: " + why.get());
                return;
            }
            int index = c.kinkEntries()[0];
            // both tie weights of max/min come from one evaluation, so that they describe one choice
            double[] firstGradient = s.binary() ? tieGradients.get(s.op) : null;
            if (firstGradient == null) firstGradient = gradient(c);
            if (s.binary()) tieGradients.put(s.op, firstGradient);
            double first = firstGradient[index];
            measured.put(s, first);
            List<Double> seen = new ArrayList<>(List.of(first));
            for (int r = 1; r < REPEATS; r++) seen.add(gradient(c)[index]);
            if (seen.stream().anyMatch(v -> !same(v, first)))
                differs(s.label + ": repeated evaluations gave " + seen);
        }

        /**
         * {@code sum(g(x))} with x of shape [1] at the kink; max and min take two parameters a, b of shape [1]
         * (a tie), or the dense-network form when the backend needs it.
         */
        private Case scalar(Site s, double alpha) {
            if (usesNetwork(s)) return network(s, 1, 1, new boolean[][] {{true}}, alpha);
            ProcedureBuilder b = ProcedureBuilder.named("probe-" + s.name().toLowerCase());
            Map<String, Tensor> params = new LinkedHashMap<>();
            String out;
            if (s.binary()) {
                String a = b.parameter("a", 1);
                String c = b.parameter("b", 1);
                out = b.sum(s.op == Op.MAX ? b.max(a, c) : b.min(a, c));
                params.put("a", Tensor.of(Shape.of(1), s.kink));
                params.put("b", Tensor.of(Shape.of(1), s.kink));
            } else {
                String x = b.parameter("x", 1);
                out = b.sum(s.apply(b, x, null, alpha));
                params.put("x", Tensor.of(Shape.of(1), s.kink));
            }
            return new Case(b.build(out), new Point(params, Map.of()), new int[] {s.second ? 1 : 0},
                    new String[] {"a scalar"});
        }

        // ---- other positions in a tensor ----

        /**
         * {@code sum(g(x))} with x a vector whose flagged elements sit at the kink; the tie partner of max/min
         * is a data vector at the kink. In the dense-network form, the flags choose neurons of one sample.
         */
        private Case vector(Site s, boolean[] atKink) {
            if (usesNetwork(s)) return network(s, 1, VECTOR, new boolean[][] {atKink}, LEAKY_ALPHA);
            ProcedureBuilder b = ProcedureBuilder.named("probe-vector-" + s.name().toLowerCase());
            String x = b.parameter("x", VECTOR);
            String c = s.binary() ? b.data("c", VECTOR) : null;
            Procedure p = b.build(b.sum(s.apply(b, x, c, LEAKY_ALPHA)));
            double[] xs = new double[VECTOR];
            List<Integer> kinks = new ArrayList<>();
            for (int i = 0; i < VECTOR; i++) {
                xs[i] = atKink[i] ? s.kink : s.kink + AWAY[i % AWAY.length];
                if (atKink[i]) kinks.add(i);
            }
            Map<String, Tensor> data = new LinkedHashMap<>();
            if (s.binary()) data.put("c", new Tensor(Shape.of(VECTOR), filled(VECTOR, s.kink)));
            Point at = new Point(Map.of("x", new Tensor(Shape.of(VECTOR), xs)), data);
            return new Case(p, at, kinks.stream().mapToInt(Integer::intValue).toArray(),
                    kinks.stream().map(i -> "element " + i + " of a vector").toArray(String[]::new));
        }

        private void positions(Site s) throws BackendException {
            List<boolean[]> layouts = List.of(only(VECTOR, 0), only(VECTOR, VECTOR - 2), filledFlags(VECTOR));
            List<String> names = List.of("only element 0 at the kink", "only element " + (VECTOR - 2) + " at the kink",
                    "every element at the kink");
            for (int k = 0; k < layouts.size(); k++) {
                Case c = vector(s, layouts.get(k));
                Optional<String> why = backend.unsupported(c.procedure());
                if (why.isPresent()) {
                    notes.add(s.label + ": tensor-position check skipped: " + why.get());
                    return;
                }
                if (!check(s, c, gradient(c), names.get(k))) return;
            }
        }

        // ---- batch 1 and larger batches through a dense layer ----

        /**
         * A dense layer {@code z = X·W + b}, {@code h = g(z)} on a batch of B rows. X holds the identity in its
         * first B columns and 0.5 in the last, so ∂y/∂W[r][j] = g′(z[r][j]) exposes each row's slope.
         */
        private Case dense(Site s, int batch) {
            boolean[][] kink = kinkCells(batch);
            if (usesNetwork(s)) return network(s, batch, WIDTH, kink, LEAKY_ALPHA);
            ProcedureBuilder b = ProcedureBuilder.named("probe-dense-" + s.name().toLowerCase() + "-" + batch);
            String w = b.parameter("W", batch + 1, WIDTH);
            String bias = b.parameter("b", WIDTH);
            String x = b.data("X", batch, batch + 1);
            String c = s.binary() ? b.data("C", batch, WIDTH) : null;
            String z = b.add(b.matmul(x, w), bias);
            Procedure p = b.build(b.sum(s.apply(b, z, c, LEAKY_ALPHA)));
            Map<String, Tensor> params = new LinkedHashMap<>();
            params.put("W", new Tensor(Shape.of(batch + 1, WIDTH), firstLayer(s, batch, WIDTH, kink, AWAY)));
            params.put("b", new Tensor(Shape.of(WIDTH), filled(WIDTH, 0.25)));
            Map<String, Tensor> data = new LinkedHashMap<>();
            data.put("X", new Tensor(Shape.of(batch, batch + 1), identityInput(batch)));
            if (s.binary()) data.put("C", new Tensor(Shape.of(batch, WIDTH), filled(batch * WIDTH, s.kink)));
            return cellCase(p, new Point(params, data), p.parameterOffset("W"), batch, WIDTH, kink);
        }

        /**
         * The same layer inside a network the shape of the {@code mlp} shorthand, for backends that only run
         * layered networks: {@code g} on layer 1, an identity output layer with W2 = 1, b2 = 0, and mse loss with
         * targets chosen so that ∂loss/∂output = 1 for every row; ∂loss/∂W1[r][j] is again g′(z[r][j]). Cells off
         * the kink sit on the side where g is exact in float32 (no α·u products), so the targets are exact too.
         */
        private Case network(Site s, int batch, int width, boolean[][] kink, double alpha) {
            Mlp mlp = new Mlp(batch + 1, List.of(new Mlp.Layer(width, s.op.jsonName(), alpha), new Mlp.Layer(1, "identity")),
                    true, "mse", batch);
            Procedure p = mlp.expand("probe-network-" + s.name().toLowerCase() + "-" + batch + "x" + width);
            double[] w1 = firstLayer(s, batch, width, kink, AWAY_NONNEGATIVE);
            double[] y = new double[batch];
            for (int r = 0; r < batch; r++) {
                double out = 0;
                for (int j = 0; j < width; j++) out += s.value(w1[r * width + j] + 0.5);
                // mse = mean over the batch of (out − y)²: ∂/∂out_r = 2(out_r − y_r)/B = 1
                y[r] = out - batch / 2.0;
            }
            Map<String, Tensor> params = new LinkedHashMap<>();
            params.put("W1", new Tensor(Shape.of(batch + 1, width), w1));
            params.put("b1", new Tensor(Shape.of(width), filled(width, 0.25)));
            params.put("W2", new Tensor(Shape.of(width, 1), filled(width, 1)));
            params.put("b2", new Tensor(Shape.of(1), new double[1]));
            Map<String, Tensor> data = new LinkedHashMap<>();
            data.put("X", new Tensor(Shape.of(batch, batch + 1), identityInput(batch)));
            data.put("Y", new Tensor(Shape.of(batch, 1), y));
            return cellCase(p, new Point(params, data), p.parameterOffset("W1"), batch, width, kink);
        }

        private static Case cellCase(Procedure p, Point at, int offset, int batch, int width, boolean[][] kink) {
            List<Integer> entries = new ArrayList<>();
            List<String> where = new ArrayList<>();
            for (int r = 0; r < batch; r++)
                for (int j = 0; j < width; j++)
                    if (kink[r][j]) {
                        entries.add(offset + r * width + j);
                        where.add("row " + r + ", neuron " + j + " of a dense layer at batch " + batch);
                    }
            return new Case(p, at, entries.stream().mapToInt(Integer::intValue).toArray(), where.toArray(new String[0]));
        }

        /** X [B, B+1]: the identity in the first B columns, 0.5 in the last. */
        private static double[] identityInput(int batch) {
            int in = batch + 1;
            double[] xs = new double[batch * in];
            for (int r = 0; r < batch; r++) {
                xs[r * in + r] = 1;
                xs[r * in + batch] = 0.5;
            }
            return xs;
        }

        /**
         * W [B+1, width] with z[r][j] = W[r][j] + 0.5·W[B][j] + b[j] = W[r][j] + 0.5 (W[B][j] = 0.5, b[j] = 0.25)
         * equal to the kink on flagged cells and to the kink plus an offset elsewhere.
         */
        private static double[] firstLayer(Site s, int batch, int width, boolean[][] kink, double[] away) {
            double[] w = new double[(batch + 1) * width];
            for (int r = 0; r < batch; r++)
                for (int j = 0; j < width; j++) {
                    double target = kink[r][j] ? s.kink : s.kink + away[(r * width + j) % away.length];
                    w[r * width + j] = target - 0.5;
                }
            for (int j = 0; j < width; j++) w[batch * width + j] = 0.5;
            return w;
        }

        /** Cells (row, neuron) at the kink for a batch size. */
        private static boolean[][] kinkCells(int batch) {
            boolean[][] k = new boolean[batch][WIDTH];
            if (batch == 1) {
                k[0][1] = true;
            } else {
                k[0][0] = true;
                k[2 % batch][1] = true;
                k[batch - 1][2] = true;
            }
            return k;
        }

        private void batches(Site s) throws BackendException {
            for (int batch : BATCHES) {
                Case c = dense(s, batch);
                Optional<String> why = backend.unsupported(c.procedure());
                if (why.isPresent()) {
                    notes.add(s.label + ": batch check skipped: " + why.get());
                    return;
                }
                if (!check(s, c, gradient(c), null)) return;
            }
        }

        // ---- several threads at once ----

        private void threads(Site s) throws BackendException {
            Case c = vector(s, filledFlags(VECTOR));
            if (backend.unsupported(c.procedure()).isPresent()) return;
            CyclicBarrier start = new CyclicBarrier(THREADS);
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            try {
                List<Future<List<double[]>>> futures = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    futures.add(pool.submit(() -> {
                        start.await();
                        List<double[]> out = new ArrayList<>();
                        for (int k = 0; k < THREAD_ROUNDS; k++) out.add(gradient(c));
                        return out;
                    }));
                }
                for (int t = 0; t < THREADS; t++)
                    for (double[] g : futures.get(t).get())
                        if (!check(s, c, g, THREADS + " threads evaluating at once")) return;
            } catch (ExecutionException e) {
                if (e.getCause() instanceof BackendException be) throw be;
                throw new BackendException("backend " + backend.name() + " failed when called from several threads: "
                        + e.getCause(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BackendException("interrupted while probing " + backend.name(), e);
            } finally {
                pool.shutdownNow();
            }
        }

        /**
         * Whether every kink entry of the gradient shows the measured slope; notes the first that does not.
         *
         * @param setting what else was special about this evaluation, or null
         */
        private boolean check(Site s, Case c, double[] g, String setting) {
            double expected = measured.get(s);
            for (int k = 0; k < c.kinkEntries().length; k++) {
                double got = g[c.kinkEntries()[k]];
                if (!same(got, expected)) {
                    differs(s.label + ": " + got + " at " + c.where()[k] + (setting == null ? "" : " (" + setting + ")")
                            + ", but " + expected + " in the first measurement");
                    return false;
                }
            }
            return true;
        }

        // ---- rule-level observations ----

        /**
         * Whether each unary kink rule is applied through the chain rule: with an incoming gradient of
         * {@value #INCOMING} the derivative at the kink must come out {@value #INCOMING} times the measured
         * value. A backward that writes a constant at the kink (Bertoin et al.'s code for relu′(0)=α) passes the
         * scalar measurement, whose incoming gradient is 1, and implies no |·| slope inside a network.
         */
        private boolean chainRule() throws BackendException {
            boolean ok = true;
            for (Site s : List.of(Site.RELU, Site.ABS, Site.HARDTANH_MINUS, Site.HARDTANH_PLUS)) {
                if (!measured.containsKey(s) || usesNetwork(s)) continue;
                ProcedureBuilder b = ProcedureBuilder.named("probe-chain-" + s.name().toLowerCase());
                String x = b.parameter("x", 1);
                Procedure p = b.build(b.sum(b.scale(s.apply(b, x, null, LEAKY_ALPHA), INCOMING)));
                if (backend.unsupported(p).isPresent()) continue;
                double got = backend.evaluate(p, new Point(Map.of("x", Tensor.of(Shape.of(1), s.kink)), Map.of()),
                        precision).gradient()[0];
                double expected = precision.round(INCOMING * measured.get(s));
                if (!same(got, expected)) {
                    notes.add(s.label + ": not a chain rule: with incoming gradient " + INCOMING + " the backward gave "
                            + got + ", not " + INCOMING + " × " + measured.get(s) + " = " + expected
                            + " (a constant written at the kink implies no |·| slope; THEORY.md §1)");
                    ok = false;
                }
            }
            return ok;
        }

        private void leakyAlpha(KinkRules rules) throws BackendException {
            Case c = scalar(Site.LEAKY, SECOND_ALPHA);
            if (backend.unsupported(c.procedure()).isPresent()) return;
            double r = gradient(c)[c.kinkEntries()[0]];
            double a = precision.round(SECOND_ALPHA);
            double c2 = (2 * r - 1 - a) / (1 - a);
            double c1 = rules.slope(Op.LEAKY_RELU, 0, rules.leakyAlpha());
            if (!(Math.abs(c2 - c1) <= 1e-6))
                notes.add("leaky_relu: the implied |·| slope depends on α (" + c1 + " at α=" + LEAKY_ALPHA + ", " + c2
                        + " at α=" + SECOND_ALPHA + "); slopes for other α are taken from α=" + LEAKY_ALPHA);
        }

        private void consistencyNotes(KinkRules rules) {
            for (Op op : List.of(Op.RELU, Op.ABS, Op.LEAKY_RELU, Op.MAX, Op.MIN, Op.HARDTANH)) {
                if (!rules.measured(op) || rules.absConsistent(op)) continue;
                String why = switch (op) {
                    case MAX -> "tie weights (" + rules.maxTieA() + ", " + rules.maxTieB() + ") do not sum to 1";
                    case MIN -> "tie weights (" + rules.minTieA() + ", " + rules.minTieB() + ") do not sum to 1";
                    case HARDTANH -> "implied slopes " + rules.slope(op, 0, 0) + " and " + rules.slope(op, 1, 0)
                            + " are not both in [−1, 1]";
                    default -> "implied |·| slope " + rules.slope(op, 0, rules.leakyAlpha()) + " is outside [−1, 1]";
                };
                notes.add(op.jsonName() + ": not abs-consistent: " + why + " (THEORY.md §1)");
            }
        }

        private double[] gradient(Case c) throws BackendException {
            return backend.evaluate(c.procedure(), c.point(), precision).gradient();
        }

        private void differs(String note) {
            deterministic = false;
            notes.add("not deterministic: " + note);
        }
    }

    /** Numeric equality (−0.0 equals 0.0: both are slope 0), with NaN equal to NaN. */
    private static boolean same(double a, double b) {
        return a == b || (Double.isNaN(a) && Double.isNaN(b));
    }

    private static double[] filled(int n, double v) {
        double[] a = new double[n];
        Arrays.fill(a, v);
        return a;
    }

    private static boolean[] only(int n, int i) {
        boolean[] f = new boolean[n];
        f[i] = true;
        return f;
    }

    private static boolean[] filledFlags(int n) {
        boolean[] f = new boolean[n];
        Arrays.fill(f, true);
        return f;
    }
}
