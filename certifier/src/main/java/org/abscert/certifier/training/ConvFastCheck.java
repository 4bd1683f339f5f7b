package org.abscert.certifier.training;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import org.abscert.certifier.analysis.StaticAnalysis;
import org.abscert.certifier.analysis.StaticCertificate;
import org.abscert.certifier.anf.AbsNormalForm;
import org.abscert.certifier.probe.KinkRules;
import org.abscert.certifier.probe.PoolTieProbe;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Node;
import org.abscert.spi.ir.Op;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.ir.Window2d;

/**
 * The per-step check of the listeners' {@link Mode#FAST} mode for a convolutional network made of stages
 * {@code conv2d (with bias) → relu or leaky_relu → optional max_pool2d or avg_pool2d}, then {@code flatten},
 * dense layers {@code act(h W + b)}, and an output layer with a smooth loss: the LeNet shape. Like
 * {@link DenseFastCheck}, it reads the switch arguments the framework computed in the step's own evaluation and
 * costs a few operations per switch.
 *
 * <p><b>What it proves.</b> Established once ({@link #of}): the procedure is such a chain (batch norm, dropout
 * masks, residual adds, a pool before the activation or a kink loss are refused with a one-line reason); its
 * static analysis gives C2 at every point <em>without a pooling tie</em>
 * ({@link StaticCertificate#groupedWithoutPoolTies()}: every ReLU node has a private bias, THEORY.md §7, §11);
 * the framework's ReLU and leaky ReLU rules are abs-consistent and its max-pool tie rule was measured
 * abs-consistent and deterministic ({@link PoolTieProbe}). Per step ({@link #check}):
 * <ol>
 *   <li>Every ReLU switch's sign in the framework's evaluation equals the exact sign of its sum over the
 *       framework's inputs of that layer (as {@link DenseFastCheck} does; the bounds are below).</li>
 *   <li>Every max-pool switch m_{k−1} − e_k (the fold of DESIGN.md) is an exact comparison of the framework's
 *       pool inputs, which are relu(z) of its recorded z. A tie (a zero switch) is accepted between two values that
 *       are provably <em>the same function of the parameters near the point</em> (THEORY.md §11 case (a)); or, when
 *       the framework gives a tie to the earliest tied cell in row-major order (the fold's order; measured) and the
 *       conv reads exact inputs, between two positive values whose exact sums over the framework's inputs put the
 *       earlier cell strictly first: the framework's tie is its rounding, and its rule took the branch of the exact
 *       sign, as for a switch settled by its sign. Any other tie makes the step fall back to the full
 *       certification.</li>
 * </ol>
 *
 * <p><b>Equal-function classes.</b> Each value of a feature map before the flatten carries a class: ZERO — the
 * constant 0 near the point (a data value that is exactly 0, or relu(z) whose z is exactly established &lt; 0);
 * BACKGROUND of its channel — a conv output whose receptive patch reads, in every input channel c, only cells
 * equal to that channel's reference function (its BACKGROUND if the sample's plane has any, else ZERO, in which
 * case padded taps, which read 0, count too), so that all BACKGROUND cells of a channel compute
 * Σ_c Σ_taps w·ref_c + b, one expression; OTHER — anything else, unique. relu keeps BACKGROUND when z ≥ 0 and
 * gives ZERO when z &lt; 0; leaky relu keeps BACKGROUND and makes the rest OTHER; a max pool's output has the
 * class of the cell its fold ends on (ties only within ZERO or one BACKGROUND, so the class is unambiguous); an
 * average pool's output has the common class of its window if every cell has it (and no padded cell counts in
 * the divisor unless the class is ZERO), else OTHER. On the black background of digits or Fashion-MNIST the
 * first layer's background cells all equal relu(b_o). A tie the classes do not settle (two OTHER cells) is settled
 * when the two cells are the same expression by structure: equal framework values, and recursively equal receptive
 * fields (a conv output of one channel whose taps read cells that are the same function, equal data being equal
 * constants and a padded tap matching only ZERO; relu of equal pre-activations; a max pool through the cell its
 * fold ends on; an average pool through its window) — the uniform patches inside a garment or a stroke. This
 * comparison runs only at such ties, memoised per step.
 *
 * <p><b>Why the accepted ties are harmless (proof).</b> Let T be the max-pool switches at zero and R the active
 * ReLU switches. (i) Two values of one class, or found equal by structure, are the same expression of the
 * parameters (by induction over the layers, as above), and their AD derivatives agree whenever all ReLU switches of one channel (or dense unit)
 * use one slope: the expressions are isomorphic, their inactive switches have the same signs, their active ones
 * belong to the same channel groups, and a max pool over equal derivatives returns that derivative for any tie
 * weights summing to 1. So the AD derivative of every switch in T is zero for every group-uniform choice of
 * slopes, and the tie slopes of T (whatever the rule, as long as it is abs-consistent) do not enter (3) of
 * THEORY.md: g_AD = g_AD(s) depends only on the group slopes s of R, and is multi-affine in s (a path visits one
 * channel per layer, condition (a) of §6). (ii) Each vertex s ∈ {±1}^m is realizable: its switches in T have the
 * zero row on the piece (they vanish identically near the point), so they are don't-care (THEORY.md §3), and the
 * bias shifts of the static certificate realise s on R (§6, sufficient test; the certificate's private biases
 * enter no switch of equal or smaller depth, pools included). The function equals, near the point, the procedure
 * with each tied max replaced by one of its arguments, so each vertex gradient is a limiting gradient, and
 * Theorem 2 gives g_AD ∈ ∂f. (iii) A tie accepted by its exact order is not a zero switch: like every switch settled
 * by its sign, its exact value (positive) is not 0 and the framework's AD used the slope of that sign (its rule keeps
 * the earlier cell), so it is not in T, and (i)–(ii) hold as they stand.
 *
 * <p><b>The sign bounds.</b> A conv switch z = Σ w x + b over n = C_in·kh·kw terms is computed by the framework
 * within γ_{n+2}·(‖w_o‖₁·max|x| + |b_o|) of its exact value over the framework's inputs x (any summation order,
 * with or without fused multiply-adds: a direct or im2col/GEMM convolution, not a Winograd or FFT one), with
 * max|x| over the sample's input of the layer and ‖w_o‖₁ summed in double and rounded up; a dense switch within
 * γ_{in+2}·(min(‖w‖₁·max|h|, ‖w‖₂‖h‖₂) + |b|); each plus (2n+1) times the format's least normal number for
 * results that underflow ({@code RoundingBounds}). A finite value beyond its bound has the exact sign. Within the bound:
 * a switch whose patch reads only exact zeros, or whose channel's weights are all zero, is exactly b; a switch
 * whose inputs are exact (the data, relu outputs, max pools of those) is re-evaluated alone in double, off the
 * exact sum by at most γ_{n+2}(double)·Σ|w x| plus 2⁻¹⁰⁷⁴ per product that underflows; otherwise its sample is open and re-evaluated by the certifier's
 * own forward pass with exact sign decisions ({@link AbsNormalForm} of the one-sample procedure), which is
 * compared switch by switch, max-pool switches included. Any difference, or a sign the certifier cannot decide,
 * makes the step fall back.
 *
 * <p>What the check trusts, as {@link DenseFastCheck}: the framework's smooth arithmetic (how far its inputs of
 * a deeper layer, and so its pool inputs, are from the exact ones; its backward pass). The FULL audits
 * recompute it.
 *
 * <p>Costs per step: a few operations per feature-map cell (bounds, the fold, classes by row bit masks or 2-D
 * prefix sums of the cells outside the reference class, O(1) per receptive patch), a dot product per switch the bound leaves open,
 * and a forward pass of one sample per sample still open. A conv → relu → 2×2 max pool stage is checked without
 * storing its activation (relu(z) and its class are computed inside the fold); with float32 pre-activations
 * ({@link StepValues#preActivationsFloat}) its planes are screened and its windows folded by {@link Kernels} (SIMD
 * when available), the scalar fold running only at windows with a tie other than at 0 between dead cells. An
 * instance judges one step at a time: it reuses its work arrays from one step to the next. With {@link #threads(int)}
 * the samples are checked in parts of consecutive samples at once, each part by an instance of its own: every check
 * above is per sample (bounds, classes, folds, re-evaluations), so the parts together make the same checks.
 */
public final class ConvFastCheck {

    /** The kind of a hidden affine layer. */
    public enum Kind { CONV, DENSE }

    /**
     * A hidden affine layer followed by its activation, as the adapters bind it: the framework records the
     * activation's input (the layer's pre-activations) and holds the weight and bias.
     *
     * @param weight     the procedure's weight parameter ([O, C, kh, kw] for a conv, [in, out] for a dense layer)
     * @param bias       the procedure's bias parameter [out]
     * @param activation the id of the activation node in the procedure
     * @param fanIn      terms per switch besides the bias: C·kh·kw or in
     * @param out        output channels or units
     * @param switches   switches per sample: out·H'·W' or out
     */
    public record Hidden(Kind kind, String weight, String bias, String activation, DenseFastCheck.Activation act, double alpha,
                         int fanIn, int out, int switches) {}

    /**
     * The outcome of one step.
     *
     * @param step            what {@link StepCertifier#judgeFast} takes: certified or not, zeros (ReLU kinks and
     *                        pool ties), switches, samples recomputed, the detail
     * @param poolSwitches    max-pool switches checked
     * @param zeroTies        pool ties between two ZERO cells
     * @param backgroundTies  pool ties between two BACKGROUND cells of one channel
     * @param equalTies       pool ties between two cells found equal by comparing their receptive fields
     * @param orderedTies     ties of the framework's rounded values between different functions whose exact values order
     *                        them as the framework's rule does (not kinks at the point)
     */
    public record Outcome(DenseFastCheck.Outcome step, long poolSwitches, long zeroTies, long backgroundTies, long equalTies,
                          long orderedTies) {
        public boolean certified() { return step.certified(); }

        public String detail() { return step.detail(); }
    }

    // ------------------------------------------------------------------ the chain

    private static final byte OTHER = 0, ZERO = 1, BACKGROUND = 2;

    private sealed interface Step {}

    /** conv2d over [c, h, w] (batch geometry in win). */
    private record ConvStep(int hidden, int c, int h, int w, int out, int kh, int kw, int[] stride, int[] padding, int[] dilation,
                            Window2d win) implements Step {}

    private record DenseStep(int hidden, int in, int out) implements Step {}

    /** The activation of hidden layer {@code hidden}; {@code node}: its index in the procedure. */
    private record ActStep(int hidden, boolean leaky, double alpha, int node) implements Step {}

    /** A pool over [c, h, w]; {@code node}: its index in the procedure. */
    private record PoolStep(boolean max, int c, Window2d win, int node) implements Step {}

    private record FlattenStep() implements Step {}

    private record Chain(List<Step> steps, List<Hidden> hidden, int[] input, String refusal) {}

    private final List<Step> steps;
    private final List<Hidden> hidden;
    private final int[] input;            // C, H, W (or in, for a dense chain: refused)
    private final Precision precision;
    private final int batch;
    private final Procedure sample;
    private final String theorem;
    private final String refusal;
    /** The framework gives a max-pool tie to the earliest tied cell in row-major order (the fold's order). */
    private final boolean firstCell;
    /** The threads a step's check may use ({@link #threads(int)}); the instances that check the other parts. */
    private int threads = 1;
    private final List<ConvFastCheck> twins = new ArrayList<>();
    /** The samples of the part being checked: lo to hi − 1. */
    private int lo, hi;
    /** The fewest samples a part has: below, handing a part to a thread costs more than it saves. */
    public static final int MIN_PART = 8;
    /** {@link #MIN_PART}, and the processors' count as a cap, unless a test sets smaller parts. */
    int minPart = MIN_PART;
    boolean processorCap = true;

    /** The processors when the class was loaded (asking the runtime at every step reads the container's limits). */
    private static final int PROCESSORS = Runtime.getRuntime().availableProcessors();

    /** The threads of the parts after the first: daemons, one fewer than the processors, shared by every check. */
    private static final class Pool {
        static final java.util.concurrent.ExecutorService PARTS = java.util.concurrent.Executors.newFixedThreadPool(
                Math.max(1, PROCESSORS - 1), r -> {
                    Thread t = new Thread(r, "abscert-fast-part");
                    t.setDaemon(true);
                    return t;
                });
    }

    private ConvFastCheck(List<Step> steps, List<Hidden> hidden, int[] input, Precision precision, int batch, Procedure sample,
                          String theorem, String refusal, boolean firstCell) {
        this.steps = steps;
        this.hidden = hidden;
        this.input = input;
        this.precision = precision;
        this.batch = batch;
        this.sample = sample;
        this.theorem = theorem;
        this.refusal = refusal;
        this.firstCell = firstCell;
    }

    /** Another instance of the same check, with work arrays of its own: it checks a part of the samples. */
    private ConvFastCheck(ConvFastCheck o) {
        this(o.steps, o.hidden, o.input, o.precision, o.batch, o.sample, o.theorem, o.refusal, o.firstCell);
    }

    /**
     * The check for a network's procedure at one batch size, or one that {@linkplain #refusal() refuses} with the
     * reason FAST does not apply (then every step takes the full certification).
     *
     * @param batchProcedure  the procedure of a batch (its data X [N, C, H, W], or [N, C·H·W] reshaped first)
     * @param sampleProcedure the same network's procedure for one example (the same nodes)
     * @param precision       the network's arithmetic
     * @param rules           the framework's kink rules, as given to the certifier
     * @param poolTies        the framework's measured max-pool tie rule ({@link PoolTieProbe})
     */
    public static ConvFastCheck of(Procedure batchProcedure, Procedure sampleProcedure, Precision precision, KinkRules rules,
                                   PoolTieProbe.PoolTies poolTies) {
        Objects.requireNonNull(precision);
        Objects.requireNonNull(rules);
        Objects.requireNonNull(poolTies);
        Chain chain = parse(batchProcedure);
        String why = chain.refusal();
        int batch = why == null ? batchProcedure.shape(batchProcedure.data().get(0).name()).dim(0) : 0;
        if (why == null) {
            Chain one = parse(sampleProcedure);
            if (one.refusal() != null) why = "the one-example procedure: " + one.refusal();
            else if (!one.hidden().equals(chain.hidden()) || !sameNodes(batchProcedure, sampleProcedure))
                why = "the one-example procedure is not the same network as the batch's";
        }
        boolean pools = false;
        for (Step s : why == null ? chain.steps() : List.<Step>of()) {
            // the switches of the one-example procedure are exactly those the check reads, node by node
            int want = s instanceof ActStep a ? chain.hidden().get(a.hidden()).switches()
                    : s instanceof PoolStep p && p.max() ? p.c() * p.win().planeSwitches : -1;
            int node = s instanceof ActStep a ? a.node() : s instanceof PoolStep p ? p.node() : -1;
            if (want >= 0 && sampleProcedure.switchesOf(node) != want) {
                why = "node '" + sampleProcedure.node(node).id() + "' of the one-example procedure has " + sampleProcedure.switchesOf(node)
                        + " switches, not " + want;
                break;
            }
        }
        int kinkNodes = 0;
        for (int i = 0; why == null && i < sampleProcedure.nodes().size(); i++) if (sampleProcedure.node(i).op().isKink()) kinkNodes++;
        long read = chain.steps().stream().filter(s -> s instanceof ActStep || s instanceof PoolStep p && p.max()).count();
        if (why == null && kinkNodes != read) why = "the procedure has kink nodes outside the chain's activations and max pools";
        if (why == null) {
            for (Step s : chain.steps()) pools |= s instanceof PoolStep p && p.max();
            for (Hidden h : chain.hidden()) {
                Op op = h.act() == DenseFastCheck.Activation.RELU ? Op.RELU : Op.LEAKY_RELU;
                if (!rules.absConsistent(op)) { why = "the kink rule of " + op.jsonName() + " is not abs-consistent or not measured"; break; }
                if (h.act() == DenseFastCheck.Activation.LEAKY_RELU && !(Math.abs(h.alpha()) <= 1)) {
                    why = "leaky ReLU slope " + h.alpha() + " is outside [-1, 1]";
                    break;
                }
            }
        }
        if (why == null && pools) {
            if (!poolTies.measured()) why = "the framework's max-pool tie rule was not measured";
            else if (!poolTies.absConsistent()) why = "the framework's max-pool tie rule (" + poolTies.rule() + ") is not abs-consistent";
            else if (!poolTies.deterministic()) why = "the framework's max-pool tie rule (" + poolTies.rule() + ") is not deterministic";
        }
        String theorem = "";
        if (why == null) {
            StaticCertificate stat = StaticAnalysis.analyze(batchProcedure);
            if (!stat.groupedWithoutPoolTies())
                why = "the procedure has no static certificate (" + String.join("; ", stat.findings()) + ")";
            else theorem = pools ? "static certificate C2 at every point without a pooling tie (THEORY.md §11), Theorem 2"
                    : "static certificate C2 at every point, Theorem 2";
        }
        return new ConvFastCheck(chain.steps(), chain.hidden(), chain.input(), precision, batch, sampleProcedure, theorem, why,
                poolTies.rule().equals("first cell"));
    }

    /** Why FAST does not apply to this network, or empty when it does. */
    public Optional<String> refusal() { return Optional.ofNullable(refusal); }

    /** The hidden affine layers in order (the output layer is not one): what the adapter records and reads. */
    public List<Hidden> hidden() { return hidden; }

    public int batch() { return batch; }

    /**
     * Lets {@link #check} split a step's samples into up to {@code n} parts of consecutive samples, checked at once on
     * the calling thread and {@code n} − 1 shared daemon threads, no more parts than processors and none of fewer than
     * {@link #MIN_PART} samples (default 1: the calling thread alone). The samples are independent until the loss, so
     * the parts' checks are the same switch by switch; the outcome adds their counts and, if parts fail, gives the
     * failure of the first in sample order. The listeners' FAST checks run while the framework waits for them, so
     * its cores are otherwise idle.
     *
     * @return this check
     */
    public ConvFastCheck threads(int n) {
        if (n < 1) throw new IllegalArgumentException("threads must be positive, got " + n);
        this.threads = n;
        return this;
    }

    /** The threads set by {@link #threads(int)}. */
    public int threads() { return threads; }

    // ------------------------------------------------------------------ the step

    /**
     * What the check reads of one step. Everything is read once per step; weights are small next to the
     * feature maps.
     */
    public interface StepValues {
        /** The batch's data as the framework holds it, row-major: [N, C, H, W], or its rows [N, C·H·W] (the same order). */
        double[] input();

        /** Hidden layer k's pre-activations (its activation's input) of this step's evaluation, row-major [N, O, H', W'] or [N, out]. */
        double[] preActivations(int k);

        /**
         * The same values as float32, when the framework computed them so, or null (the default): the check then reads
         * these and does not call {@link #preActivations} for layer k where it can work in float32 (a conv → relu →
         * 2×2 max pool stage).
         */
        default float[] preActivationsFloat(int k) { return null; }

        /** Hidden layer k's biases. */
        double[] bias(int k);

        /**
         * Hidden layer k's weights output by output, as the framework holds them: a conv's [O, C, kh, kw] row-major; a
         * dense layer's unit i's {@code in} weights at [i·in, (i+1)·in).
         */
        double[] weights(int k);

        /** The batch-1 point of sample s: the parameters and that sample's data. */
        Point samplePoint(int s);
    }

    /**
     * Checks one step: the ReLU switches' signs against their exact values over the framework's inputs, the
     * max-pool ties against the equal-function classes, and the samples a bound leaves open against the
     * certifier's own evaluation (see the class comment for the bounds and the proof).
     */
    public Outcome check(StepValues v) {
        if (refusal != null) throw new IllegalStateException("FAST does not apply: " + refusal);
        int k = Math.min(processorCap ? Math.min(threads, PROCESSORS) : threads, Math.max(1, batch / minPart));
        if (k <= 1) return outcome(List.of(part(v, 0, batch)));
        // the samples in k parts of consecutive samples, the first on this thread; the values read once, here
        StepValues once = new ReadOnce(v, hidden.size());
        while (twins.size() < k - 1) twins.add(new ConvFastCheck(this));
        List<java.util.concurrent.Future<Counts>> others = new ArrayList<>();
        for (int t = 1; t < k; t++) {
            ConvFastCheck twin = twins.get(t - 1);
            int from = (int) ((long) batch * t / k), to = (int) ((long) batch * (t + 1) / k);
            others.add(Pool.PARTS.submit(() -> twin.part(once, from, to)));
        }
        List<Counts> parts = new ArrayList<>();
        try {
            parts.add(part(once, 0, batch / k));
        } finally {
            // every part ends before this returns: the next step reuses their arrays
            for (java.util.concurrent.Future<Counts> f : others) parts.add(join(f));
        }
        return outcome(parts);
    }

    /** The part's counts; a failure of its own rethrown here, on the step's thread. */
    private static Counts join(java.util.concurrent.Future<Counts> f) {
        try {
            return Waits.uninterruptibly(f);                // the part's arrays are in use until it ends
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error r) throw r;
            throw new IllegalStateException(e.getCause());
        }
    }

    /**
     * The check of samples lo to hi − 1 of the batch: every loop of the step runs over them only (the samples are
     * independent until the loss), into this instance's work arrays.
     */
    private Counts part(StepValues v, int lo, int hi) {
        this.lo = lo;
        this.hi = hi;
        double u = precision.unitRoundoff();
        int c = input[0], h = input[1], w = input[2];
        double[] val = v.input();
        if (val.length != (long) batch * c * h * w)
            throw new IllegalArgumentException(val.length + " input values for a batch of " + batch + " x " + c + " x " + h + " x " + w);
        byte[] cls = bytes(-1, val.length);
        double[] maxAbs = new double[batch];
        RowMasks masks = w <= 64 ? new RowMasks(batch, c, h, w) : null;
        data(val, c, h, w, cls, maxAbs, masks);
        assert masks == null || lo > 0 || hi < batch || masks.sameAs(RowMasks.of(val, batch, c, h, w)) : "data row masks";
        boolean exact = true;
        boolean[] open = new boolean[batch];
        Counts n = new Counts();
        PreActivations[] actIn = new PreActivations[steps.size()];
        FMap[] poolInput = new FMap[steps.size()];
        double[] z = null;
        byte[] zCls = null;
        // the feature maps before the flatten, for the structural comparison of tied cells
        List<FMap> maps = new ArrayList<>();
        maps.add(new FMap(MapKind.DATA, val, cls, c, h, w, null, -1, null));
        java.util.Map<Long, Boolean> memo = new java.util.HashMap<>();
        for (int si = 0; si < steps.size(); si++) {
            Step st = steps.get(si);
            if (st instanceof ConvStep cs && fusable(si)) {
                // conv → relu → 2×2 max pool: the bounds in one pass over z, then the fold over relu(z) computed on the fly
                ActStep a = (ActStep) steps.get(si + 1);
                PoolStep ps = (PoolStep) steps.get(si + 2);
                int k = cs.hidden();
                PreActivations zk = PreActivations.of(v.preActivationsFloat(k), () -> v.preActivations(k));
                // the data's row masks, when this conv reads the data
                String fail = convBounds(cs, si, v, zk, val, cls, si == 0 ? masks : null, maxAbs, exact, open, n, u);
                if (fail != null) return n.fail(fail);
                c = cs.out();
                h = cs.win().outHeight;
                w = cs.win().outWidth;
                ConvMap zm = new ConvMap(zk, n.patch, c, h, w, cs.win(), maps.size() - 1, n.weights, exact);
                maps.add(zm);
                maps.add(new ReluMap(zm, maps.size() - 1));
                actIn[si + 1] = zk;
                n.switches += (long) (hi - lo) * (zk.length() / batch);
                Window2d win = ps.win();
                double[] out = doubles(si + 2, batch * c * win.positions());
                byte[] oc = bytes(si + 2, out.length);
                int[] winner = ints(si + 2, out.length);
                double[] outMax = new double[batch];
                poolInput[si + 2] = maps.get(maps.size() - 1);
                fail = reluMaxPool2x2(zk, zm, out, oc, winner, outMax, c, win, maps, maps.size() - 1, memo, n, si + 2);
                if (fail != null) return n.fail(fail);
                maps.add(new FMap(MapKind.MAX_POOL, out, oc, c, win.outHeight, win.outWidth, win, maps.size() - 1, winner));
                val = out;
                cls = oc;
                maxAbs = outMax;
                exact = true;
                h = win.outHeight;
                w = win.outWidth;
                si += 2;
            } else if (st instanceof ConvStep cs) {
                // the conv and its activation in one pass (the chain always has the activation next)
                ActStep a = (ActStep) steps.get(si + 1);
                String fail = conv(cs, a, si, v, val, cls, maxAbs, exact, open, n, u);
                if (fail != null) return n.fail(fail);
                z = n.z;
                c = cs.out();
                h = cs.win().outHeight;
                w = cs.win().outWidth;
                maps.add(new FMap(MapKind.CONV, z, n.zCls, c, h, w, cs.win(), maps.size() - 1, null));
                maps.add(new FMap(MapKind.ACT, n.out, n.outCls, c, h, w, null, maps.size() - 1, null));
                actIn[si + 1] = PreActivations.of(null, () -> n.z);
                n.switches += (long) (hi - lo) * (z.length / batch);
                val = n.out;
                cls = n.outCls;
                maxAbs = n.maxAbs;
                exact = !a.leaky();
                si++;
            } else if (st instanceof DenseStep ds) {
                String fail = dense(ds, v, val, maxAbs, exact, open, n, u);
                if (fail != null) return n.fail(fail);
                z = n.z;
                zCls = null;
            } else if (st instanceof ActStep a) {
                double[] zd = z;
                actIn[si] = PreActivations.of(null, () -> zd);
                double[] out = new double[z.length];
                byte[] oc = zCls == null ? null : new byte[z.length];
                int per = z.length / batch;
                for (int i = lo * per; i < hi * per; i++) {
                    double zi = z[i];
                    if (zi == 0) n.zeros++;
                    if (!a.leaky()) {
                        out[i] = zi > 0 ? zi : 0;
                        if (oc != null) oc[i] = zi < 0 ? ZERO : zCls[i];
                    } else {
                        out[i] = zi > 0 ? zi : a.alpha() * zi;
                        if (oc != null) oc[i] = zCls[i] == BACKGROUND ? BACKGROUND : OTHER;
                    }
                }
                n.switches += (long) (hi - lo) * per;
                val = out;
                cls = oc;
                if (oc != null) maps.add(new FMap(MapKind.ACT, out, oc, c, h, w, null, maps.size() - 1, null));
                // a leaky ReLU's outputs are the framework's rounding of α·z (α perhaps rounded to float): not exact
                maxAbs = maxAbs(val, a.leaky() ? 1 + 4 * u : 1);
                exact = !a.leaky();
            } else if (st instanceof PoolStep ps) {
                poolInput[si] = maps.get(maps.size() - 1);
                Window2d win = ps.win();
                int plane = win.plane(), positions = win.positions();
                double[] out = doubles(si, batch * c * positions);
                byte[] oc = bytes(si, out.length);
                int[] winner = ps.max() ? ints(si, out.length) : null;
                int input = maps.size() - 1;
                if (ps.max() && win.kh == 2 && win.kw == 2 && isPair2(ps)) {
                    String fail = maxPool2x2(val, cls, out, oc, winner, c, win, maps, input, memo, n, si);
                    if (fail != null) return n.fail(fail);
                }
                for (int nc = lo * c; nc < hi * c && !(ps.max() && win.kh == 2 && win.kw == 2 && isPair2(ps)); nc++) {
                    int base = nc * plane, ob = nc * positions;
                    for (int pos = 0; pos < positions; pos++) {
                        int[] cells = win.inside(pos);
                        if (ps.max()) {
                            int mi = base + cells[0];
                            double m = val[mi];
                            byte q = cls[mi];
                            for (int k = 1; k < cells.length; k++) {
                                int ei = base + cells[k];
                                double e = val[ei];
                                byte qe = cls[ei];
                                if (e == m) {
                                    if (q == qe && q == ZERO) n.zeroTies++;
                                    else if (q == qe && q == BACKGROUND) n.backgroundTies++;
                                    else if (same(maps, input, mi, ei, memo)) n.equalTies++;
                                    else return n.fail(String.format(Locale.ROOT, "sample %d, %s, channel %d, output %d: a pooling tie at %s between "
                                                    + "cells that are not provably the same function of the parameters (%s and %s)",
                                            nc / c, ordinal(si, "pool"), nc % c, pos, Double.toString(m), name(q), name(qe)));
                                } else if (e > m) {
                                    m = e;
                                    q = qe;
                                    mi = ei;
                                }
                            }
                            out[ob + pos] = m;
                            oc[ob + pos] = q;
                            winner[ob + pos] = mi;
                            n.poolSwitches += cells.length - 1;
                        } else {
                            int divisor = win.taps();
                            double sum = 0;
                            boolean allZero = true;
                            byte q = cls[base + cells[0]];
                            boolean same = q != OTHER && (cells.length == divisor || q == ZERO);
                            for (int cell : cells) {
                                double e = val[base + cell];
                                sum += e;
                                allZero &= e == 0;
                                same &= cls[base + cell] == q;
                            }
                            // the framework's rounded average is 0 exactly when every cell is: keep that, whatever the double sum says
                            double avg = sum / divisor;
                            out[ob + pos] = allZero ? 0 : avg != 0 ? avg : Double.MIN_VALUE;
                            oc[ob + pos] = same ? q : OTHER;
                        }
                    }
                }
                if (!ps.max()) {
                    double g = gamma(win.taps() + 2, u);
                    for (int s = lo; s < hi; s++) maxAbs[s] = maxAbs[s] * (1 + g) * (1 + 0x1p-50);
                    exact = false;
                }
                val = out;
                cls = oc;
                h = win.outHeight;
                w = win.outWidth;
                maps.add(new FMap(ps.max() ? MapKind.MAX_POOL : MapKind.AVG_POOL, out, oc, c, h, w, win, input, winner));
            } else if (st instanceof FlattenStep) {
                cls = null;
            }
        }
        int recomputed = 0;
        for (int s = lo; s < hi; s++) {
            if (!open[s]) continue;
            recomputed++;
            n.recomputed = recomputed;
            AbsNormalForm anf = AbsNormalForm.at(sample, v.samplePoint(s));
            if (!anf.exact()) return n.fail("sample " + s + ": a switch sign the certifier could not decide exactly");
            for (int si = 0; si < steps.size(); si++) {
                Step st = steps.get(si);
                if (st instanceof ActStep a) {
                    int off = sample.switchOffset(a.node());
                    int per = actIn[si].length() / batch;
                    for (int i = 0; i < per; i++) {
                        double zi = actIn[si].get(s * per + i);
                        int mine = sign(zi);
                        if (mine != anf.sigma[off + i])
                            return n.fail(mismatch(s, hidden.get(a.hidden()), i, zi, anf.sigma[off + i], mine));
                    }
                } else if (st instanceof PoolStep ps && ps.max()) {
                    int at = sample.switchOffset(ps.node());
                    Window2d win = ps.win();
                    int plane = win.plane();
                    for (int ch = 0; ch < ps.c(); ch++) {
                        int base = (s * ps.c() + ch) * plane;
                        for (int pos = 0; pos < win.positions(); pos++) {
                            int[] cells = win.inside(pos);
                            double m = poolInput[si].value(base + cells[0]);
                            for (int k = 1; k < cells.length; k++) {
                                double e = poolInput[si].value(base + cells[k]);
                                int mine = m > e ? 1 : m < e ? -1 : 0;
                                if (mine != anf.sigma[at])
                                    return n.fail(String.format(Locale.ROOT, "sample %d, %s, channel %d, output %d: the framework's pool "
                                            + "switch has sign %d, its exact sign is %d", s, ordinal(si, "pool"), ch, pos, mine, anf.sigma[at]));
                                at++;
                                m = Math.max(m, e);
                            }
                        }
                    }
                }
            }
        }
        return n;
    }

    /** The step's outcome from its parts' counts, in sample order: the first part's failure, if any part failed. */
    private Outcome outcome(List<Counts> parts) {
        Counts n = new Counts();
        String failure = null;
        for (Counts p : parts) {
            n.zeros += p.zeros;
            n.switches += p.switches;
            n.poolSwitches += p.poolSwitches;
            n.zeroTies += p.zeroTies;
            n.backgroundTies += p.backgroundTies;
            n.equalTies += p.equalTies;
            n.orderedTies += p.orderedTies;
            n.alone += p.alone;
            n.recomputed += p.recomputed;
            if (failure == null) failure = p.failure;
        }
        int recomputed = n.recomputed;
        if (failure != null)
            return new Outcome(new DenseFastCheck.Outcome(false, (int) Math.min(Integer.MAX_VALUE, n.zeros + n.zeroTies + n.backgroundTies
                    + n.equalTies), n.switches + n.poolSwitches, recomputed, failure), n.poolSwitches, n.zeroTies, n.backgroundTies,
                    n.equalTies, n.orderedTies);
        long ties = n.zeroTies + n.backgroundTies + n.equalTies;
        long relu = n.switches;
        String detail = String.format(Locale.ROOT,
                "FAST: the framework's arithmetic in the smooth parts is trusted; its %d ReLU switch signs equal the exact ones given "
                        + "its inputs of each layer (settled by rounding bounds and exact zero patches, %d switch%s re-evaluated alone, "
                        + "%d sample%s re-evaluated by the certifier), %d at an exact kink; its %d max-pool switches are exact comparisons "
                        + "of its pool inputs, %d tie%s among them between cells that are the same function of the parameters near the "
                        + "point (%d constant zero, %d background, %d equal receptive fields), which no abs-consistent rule can make wrong "
                        + "(THEORY.md §11 (a))%s; "
                        + "abs-consistent fixed kink rules and the %s applied to the framework's AD, not recomputed",
                relu, n.alone, n.alone == 1 ? "" : "es", recomputed, recomputed == 1 ? "" : "s", n.zeros, n.poolSwitches, ties,
                ties == 1 ? "" : "s", n.zeroTies, n.backgroundTies, n.equalTies,
                n.orderedTies == 0 ? "" : String.format(Locale.ROOT, ", and %d tie%s of its rounded values between different functions whose "
                        + "exact values, over its inputs, order the cells as its first-cell rule does (not kinks at the point: the framework "
                        + "took the exact branch)", n.orderedTies, n.orderedTies == 1 ? "" : "s"),
                theorem);
        return new Outcome(new DenseFastCheck.Outcome(true, (int) Math.min(Integer.MAX_VALUE, n.zeros + ties), relu + n.poolSwitches,
                recomputed, detail), n.poolSwitches, n.zeroTies, n.backgroundTies, n.equalTies, n.orderedTies);
    }

    /**
     * A step's values read once, on the step's thread, for parts checked on other threads: an adapter's reader may
     * reuse its arrays from one call to the next. Doubles of a float32 layer and sample points are read on demand, one
     * caller at a time.
     */
    private static final class ReadOnce implements StepValues {
        private final StepValues v;
        private final double[] input;
        private final float[][] floats;
        private final double[][] doubles, bias, weights;

        ReadOnce(StepValues v, int layers) {
            this.v = v;
            input = v.input();
            floats = new float[layers][];
            doubles = new double[layers][];
            bias = new double[layers][];
            weights = new double[layers][];
            for (int k = 0; k < layers; k++) {
                floats[k] = v.preActivationsFloat(k);
                if (floats[k] == null) doubles[k] = v.preActivations(k);
                bias[k] = v.bias(k);
                weights[k] = v.weights(k);
            }
        }

        @Override public double[] input() { return input; }

        @Override public synchronized double[] preActivations(int k) {
            if (doubles[k] == null) doubles[k] = v.preActivations(k);
            return doubles[k];
        }

        @Override public float[] preActivationsFloat(int k) { return floats[k]; }

        @Override public double[] bias(int k) { return bias[k]; }

        @Override public double[] weights(int k) { return weights[k]; }

        @Override public synchronized Point samplePoint(int s) { return v.samplePoint(s); }
    }

    private enum MapKind { DATA, CONV, ACT, MAX_POOL, AVG_POOL }

    /**
     * A feature map before the flatten, [N, c, h, w] row-major: the framework's values, their classes, and how it was
     * made: from map {@code input} by the window {@code win} (conv, pools), element-wise (act), and for a max pool the
     * input cell its fold ends on ({@code winner}).
     */
    private static class FMap {
        final MapKind kind;
        final double[] values;
        final byte[] cls;
        final int c, h, w, input;
        final Window2d win;
        final int[] winner;

        FMap(MapKind kind, double[] values, byte[] cls, int c, int h, int w, Window2d win, int input, int[] winner) {
            this.kind = kind;
            this.values = values;
            this.cls = cls;
            this.c = c;
            this.h = h;
            this.w = w;
            this.win = win;
            this.input = input;
            this.winner = winner;
        }

        double value(int i) { return values[i]; }

        byte cls(int i) { return cls[i]; }
    }

    /** A conv's pre-activations whose classes are those of their receptive fields: BACKGROUND or OTHER per sample and position. */
    private static final class ConvMap extends FMap {
        final PreActivations z;
        final byte[] patch;             // [N, positions]
        /** The conv's weights [O, C, kh, kw]; whether its inputs are exactly the framework's (data, relu, max pools). */
        final double[] weights;
        final boolean exactInputs;

        ConvMap(PreActivations z, byte[] patch, int c, int h, int w, Window2d win, int input, double[] weights, boolean exactInputs) {
            super(MapKind.CONV, null, null, c, h, w, win, input, null);
            this.z = z;
            this.patch = patch;
            this.weights = weights;
            this.exactInputs = exactInputs;
        }

        @Override double value(int i) { return z.get(i); }

        @Override byte cls(int i) {
            int positions = h * w;
            return patch[i / (c * positions) * positions + i % positions];
        }

        /**
         * The exact sign of z_i − z_j for two outputs of one sample and channel, over the framework's inputs {@code in}
         * of the conv (the bias cancels); 2 when the rounding bound does not decide it.
         */
        int exactOrder(FMap in, int i, int j) {
            int positions = h * w;
            return exactSign(win, in.c, in.h * in.w, win.taps(), i / (c * positions), (i / positions) % c, i % positions, j % positions,
                    weights, in::value, 0);
        }
    }

    /** relu of a {@link ConvMap}, not stored: relu(z), ZERO where z &lt; 0, else the conv's class. */
    private static final class ReluMap extends FMap {
        final ConvMap z;

        ReluMap(ConvMap z, int input) {
            super(MapKind.ACT, null, null, z.c, z.h, z.w, null, input, null);
            this.z = z;
        }

        @Override double value(int i) {
            double v = z.value(i);
            return v > 0 ? v : 0;
        }

        @Override byte cls(int i) { return z.value(i) < 0 ? ZERO : z.cls(i); }
    }

    /**
     * Whether cells i and j of map t are the same function of the parameters near the point, by structure: equal
     * framework values, and ZERO both, BACKGROUND of one channel both, equal data, or — recursively — the same
     * expression of cells that are the same function: a conv output of one channel over equal receptive fields
     * (a padded tap matching only a ZERO cell), relu of equal pre-activations, the max pools' final winners, the
     * average pools' windows. Sufficient, not necessary; memoised per step.
     */
    private static boolean same(List<FMap> maps, int t, int i, int j, java.util.Map<Long, Boolean> memo) {
        if (i == j) return true;
        FMap m = maps.get(t);
        if (m.value(i) != m.value(j)) return false;
        if (m.kind == MapKind.DATA) return true;                         // equal constants
        int plane = m.h * m.w;
        if ((i / plane) % m.c != (j / plane) % m.c) return false;          // another channel: another weight and bias
        byte a = m.cls(i), b = m.cls(j);
        if (a == b && a != OTHER) return true;
        long key = ((long) t << 48) | ((long) Math.min(i, j) << 24) | Math.max(i, j);
        Boolean known = memo.get(key);
        if (known != null) return known;
        boolean r = switch (m.kind) {
            case ACT -> same(maps, m.input, i, j, memo);
            case MAX_POOL -> same(maps, m.input, m.winner[i], m.winner[j], memo);
            case CONV, AVG_POOL -> sameWindows(maps, m, i, j, memo);
            case DATA -> true;
        };
        memo.put(key, r);
        return r;
    }

    /** Conv or average-pool outputs i, j of one channel: every tap reads cells that are the same function. */
    private static boolean sameWindows(List<FMap> maps, FMap m, int i, int j, java.util.Map<Long, Boolean> memo) {
        FMap in = maps.get(m.input);
        int positions = m.h * m.w, inPlane = in.h * in.w;
        int pi = i % positions, pj = j % positions, si = i / (m.c * positions), sj = j / (m.c * positions);
        Window2d win = m.win;
        int taps = win.taps();
        // a conv reads every input channel; an average pool its own
        int c0 = m.kind == MapKind.CONV ? 0 : (i / positions) % m.c, c1 = m.kind == MapKind.CONV ? in.c : c0 + 1;
        for (int ch = c0; ch < c1; ch++) {
            int bi = (si * in.c + ch) * inPlane, bj = (sj * in.c + ch) * inPlane;
            for (int t = 0; t < taps; t++) {
                int ci = win.cell(pi, t), cj = win.cell(pj, t);
                if (ci < 0 && cj < 0) continue;
                // a padded tap reads 0: it matches only the constant zero
                if (ci < 0 || cj < 0) {
                    if (in.cls(ci < 0 ? bj + cj : bi + ci) != ZERO) return false;
                    continue;
                }
                if (!same(maps, m.input, bi + ci, bj + cj, memo)) return false;
            }
        }
        return true;
    }

    /** What one step has counted so far, and the last affine layer's pre-activations and classes. */
    private final class Counts {
        long zeros, switches, poolSwitches, zeroTies, backgroundTies, equalTies, orderedTies;
        /** The last conv's weights (convBounds). */
        double[] weights;
        int alone, recomputed;
        double[] z, out, maxAbs;
        byte[] zCls, outCls, patch;

        /** Why the part fails, or null. */
        String failure;

        /** This part's counts, failed for {@code why}. */
        Counts fail(String why) {
            failure = why;
            return this;
        }
    }

    /**
     * Conv layer: checks the signs of its pre-activations and gives them their classes ({@code n.z}, {@code n.zCls});
     * returns why the step fails, or null.
     */
    private String conv(ConvStep cs, ActStep act, int si, StepValues v, double[] val, byte[] cls, double[] maxAbs, boolean exact,
                        boolean[] open, Counts n, double u) {
        int k = cs.hidden();
        Hidden hd = hidden.get(k);
        Window2d win = cs.win();
        int c = cs.c(), h = cs.h(), w = cs.w(), outs = cs.out(), positions = win.positions(), taps = win.taps(), plane = h * w;
        int fan = hd.fanIn();
        double[] z = v.preActivations(k), b = v.bias(k), wt = v.weights(k);
        if (z.length != (long) batch * outs * positions || b.length != outs || wt.length != (long) outs * fan)
            throw new IllegalArgumentException("hidden layer " + k + ": arrays do not fit " + batch + " x " + outs + " x " + positions);
        double[] l1 = new double[outs];
        boolean[] wZero = new boolean[outs];
        norms(wt, fan, l1, wZero);
        double gamma = gamma(fan + 2, u), tiny = RoundingBounds.underflow(fan, precision);
        PatchCounts counts = new PatchCounts(cs);
        boolean[] zeroPatch = new boolean[positions];
        byte[] zc = bytes(-2 - si, z.length), oc = bytes(si + 1, z.length), bgByte = new byte[positions];
        int[] slowBuf = new int[16];
        double[] out = doubles(si + 1, z.length), outMax = new double[batch];
        boolean leaky = act.leaky();
        double alpha = act.alpha();
        for (int s = lo; s < hi; s++) {
            counts.fill(s, val, cls, null, bgByte, zeroPatch, 0);
            double m = maxAbs[s];
            for (int o = 0; o < outs; o++) {
                double bo = b[o];
                double bound = gamma * (l1[o] * m + Math.abs(bo)) * (1 + 0x1p-48) + tiny;
                int base = (s * outs + o) * positions;
                // one tight pass: outputs, classes, and the few switches within the bound (every exact zero among them)
                int slow = 0;
                double mx = 0;
                if (leaky) {
                    for (int pos = 0; pos < positions; pos++) {
                        int i = base + pos;
                        double zi = z[i];
                        byte q = bgByte[pos];
                        zc[i] = q;
                        oc[i] = q;                                // leaky relu keeps BACKGROUND, the rest is OTHER, never ZERO
                        double hi = zi > 0 ? zi : alpha * zi;
                        out[i] = hi;
                        double a = Math.abs(hi);
                        if (a > mx) mx = a;
                        if (!(Math.abs(zi) > bound) || Math.abs(zi) > Double.MAX_VALUE) slowBuf = push(slowBuf, slow++, pos);
                    }
                } else {
                    for (int pos = 0; pos < positions; pos++) {
                        int i = base + pos;
                        double zi = z[i];
                        byte q = bgByte[pos];
                        zc[i] = q;
                        oc[i] = zi < 0 ? ZERO : q;
                        double hi = zi > 0 ? zi : 0;
                        out[i] = hi;
                        if (hi > mx) mx = hi;
                        if (!(Math.abs(zi) > bound) || Math.abs(zi) > Double.MAX_VALUE) slowBuf = push(slowBuf, slow++, pos);
                    }
                }
                if (mx > outMax[s]) outMax[s] = mx;
                for (int k2 = 0; k2 < slow; k2++) {
                    int pos = slowBuf[k2];
                    double zi = z[base + pos];
                    if (zi == 0) n.zeros++;
                    if (!(Math.abs(zi) <= Double.MAX_VALUE))
                        return "sample " + s + ", " + where(hd, o, pos) + ": the framework's pre-activation is " + zi;
                    int exactSign;
                    if (wZero[o] || zeroPatch[pos]) exactSign = sign(bo);             // the sum is b exactly
                    else if (!exact) {
                        open[s] = true;
                        continue;
                    } else {
                        exactSign = exactSign(win, c, plane, taps, s, o, pos, -1, wt, i -> val[i], bo);
                        n.alone++;
                    }
                    if (exactSign == 2) {
                        open[s] = true;
                        continue;
                    }
                    int mine = sign(zi);
                    if (exactSign != mine) return mismatch(s, hd, o * positions + pos, zi, exactSign, mine);
                }
            }
        }
        // a leaky ReLU's outputs are the framework's rounding of α·z (α perhaps rounded to float): not exact
        if (leaky) for (int s = lo; s < hi; s++) outMax[s] = outMax[s] * (1 + 4 * u) * (1 + 0x1p-50);
        n.z = z;
        n.zCls = zc;
        n.out = out;
        n.outCls = oc;
        n.maxAbs = outMax;
        return null;
    }

    /** Whether steps si, si+1, si+2 are conv → relu (not leaky) → a 2×2, stride-2, unpadded max pool. */
    private boolean fusable(int si) {
        return si + 2 < steps.size() && steps.get(si) instanceof ConvStep && steps.get(si + 1) instanceof ActStep a && !a.leaky()
                && steps.get(si + 2) instanceof PoolStep p && p.max() && p.win().kh == 2 && p.win().kw == 2 && isPair2(p);
    }

    /**
     * Conv layer, not materialising its activation: checks the signs of its pre-activations ({@code n.z}) and gives
     * the receptive fields' classes per sample and position ({@code n.patch}); returns why the step fails, or null.
     */
    private String convBounds(ConvStep cs, int si, StepValues v, PreActivations z, double[] val, byte[] cls, RowMasks masks, double[] maxAbs,
                              boolean exact, boolean[] open, Counts n, double u) {
        int k = cs.hidden();
        Hidden hd = hidden.get(k);
        Window2d win = cs.win();
        int c = cs.c(), outs = cs.out(), positions = win.positions(), fan = hd.fanIn();
        double[] b = v.bias(k), wt = v.weights(k);
        if (z.length() != (long) batch * outs * positions || b.length != outs || wt.length != (long) outs * fan)
            throw new IllegalArgumentException("hidden layer " + k + ": arrays do not fit " + batch + " x " + outs + " x " + positions);
        double[] l1 = new double[outs];
        boolean[] wZero = new boolean[outs];
        norms(wt, fan, l1, wZero);
        double gamma = gamma(fan + 2, u), tiny = RoundingBounds.underflow(fan, precision);
        byte[] patch = bytes(-100 - si, batch * positions);
        boolean[] zeroPatch = new boolean[batch * positions];
        patches(cs, val, cls, masks, patch, zeroPatch);
        int[] slow = new int[16];
        double[] bounds = new double[batch * outs];
        for (int s = lo; s < hi; s++)
            for (int o = 0; o < outs; o++) bounds[s * outs + o] = gamma * (l1[o] * maxAbs[s] + Math.abs(b[o])) * (1 + 0x1p-48) + tiny;
        // float32 values: whole planes screened at once, the values of the few planes it does not clear looked at below
        boolean[] screened = z.f != null ? screenPlanes(z.f, positions, bounds, lo * outs, hi * outs) : null;
        for (int s = lo; s < hi; s++) {
            for (int o = 0; o < outs; o++) {
                double bound = bounds[s * outs + o];
                int base = (s * outs + o) * positions, count = 0;
                if (screened != null && screened[s * outs + o]) continue;      // every |z| of the plane beyond its bound, finite
                for (int pos = 0; pos < positions; pos++) {
                    double a = Math.abs(z.get(base + pos));
                    if (!(a > bound) || a > Double.MAX_VALUE) slow = push(slow, count++, pos);
                }
                for (int q = 0; q < count; q++) {
                    String fail = settle(cs, hd, s, o, slow[q], z, b, wt, val, wZero[o], zeroPatch[s * positions + slow[q]], exact, open, n, u);
                    if (fail != null) return fail;
                }
            }
        }
        n.patch = patch;
        n.weights = wt;
        return null;
    }

    /**
     * For each plane p of {@code positions} float32 values, whether every value is finite with |z| &gt; bounds[p]:
     * {@link Kernels.Impl#beyond} against h = the largest float32 at or below the bound, since for a float32 z,
     * |z| &gt; h means |z| ≥ the next float32 after h, which exceeds the bound. A bound beyond float32's range (or NaN)
     * clears nothing.
     */
    static boolean[] screenPlanes(float[] z, int positions, double[] bounds, int from, int to) {
        int planes = bounds.length;
        float[] h = new float[planes];
        boolean[] cleared = new boolean[planes];
        for (int p = from; p < to; p++) {
            float f = (float) bounds[p];
            h[p] = f <= bounds[p] ? f : Math.nextDown(f);      // NaN stays NaN, and clears nothing
        }
        Kernels.IMPL.beyond(z, from, to, positions, h, cleared);
        return cleared;
    }

    /** l1[o]: ‖w_o‖₁ rounded up; wZero[o]: all of w_o is 0. */
    private static void norms(double[] wt, int fan, double[] l1, boolean[] wZero) {
        double upFan = up(fan);
        for (int o = 0; o < l1.length; o++) {
            double s = 0;
            for (int j = o * fan, e = j + fan; j < e; j++) s += Math.abs(wt[j]);
            l1[o] = s * upFan;
            wZero[o] = s == 0;
        }
    }

    /**
     * Per sample and output position of a conv: {@code patch} BACKGROUND when the receptive field reads only each
     * channel's reference function (see the class comment), else OTHER; {@code zeroPatch} when it reads only exact
     * zeros. Row bit masks of the cells outside (from the data's masks when given), or 2-D prefix sums of them
     * ({@link PatchCounts}).
     */
    private void patches(ConvStep cs, double[] val, byte[] cls, RowMasks masks, byte[] patch, boolean[] zeroPatch) {
        PatchCounts counts = new PatchCounts(cs);
        for (int s = lo; s < hi; s++) counts.fill(s, val, cls, masks, patch, zeroPatch, s * cs.win().positions());
    }

    /**
     * The data's classes (ZERO where a value is ±0, else OTHER), each sample's largest |value| and, when {@code masks} is
     * not null, its row masks: one pass over the data.
     */
    private void data(double[] val, int c, int h, int w, byte[] cls, double[] maxAbs, RowMasks masks) {
        int plane = h * w;
        for (int s = lo; s < hi; s++) {
            // integer arithmetic on the bits: |value|'s bits order as the values (a NaN's above +∞'s, and it stays NaN)
            long mx = 0;
            for (int ch = 0, i = s * c * plane; ch < c; ch++)
                for (int y = 0, r = (s * c + ch) * h; y < h; y++, r++) {
                    long live = 0;
                    for (int x = 0; x < w; x++, i++) {
                        long bits = Double.doubleToRawLongBits(val[i]) << 1;        // 0 exactly for ±0
                        long nz = (bits | -bits) >>> 63;
                        cls[i] = (byte) (ZERO - nz);                                 // ZERO = 1, OTHER = 0
                        live |= nz << x;
                        mx = Math.max(mx, bits >>> 1);
                    }
                    if (masks != null) masks.nonZero[r] = live;
                }
            maxAbs[s] = Double.longBitsToDouble(mx);
        }
    }

    /**
     * The data's rows as bit masks, per sample, channel and row of [N, c, h, w] with w ≤ 64: bit x set when cell x is
     * not ±0. The data's classes are ZERO exactly at ±0 and never BACKGROUND, so these are also the cells outside the
     * reference class: what {@link PatchCounts} reads of its input, made by the pass that reads the data anyway, so
     * that the first conv need not read the data cell by cell again.
     */
    static final class RowMasks {
        final long[] nonZero;

        RowMasks(int batch, int c, int h, int w) {
            if (w > 64) throw new IllegalArgumentException("rows of " + w + " cells do not fit a long");
            nonZero = new long[batch * c * h];
        }

        /** The masks of stored values: what the data's pass must give (the tests hold it to them). */
        static RowMasks of(double[] val, int batch, int c, int h, int w) {
            RowMasks m = new RowMasks(batch, c, h, w);
            for (int r = 0, i = 0; r < m.nonZero.length; r++)
                for (int x = 0; x < w; x++, i++) if (Double.doubleToRawLongBits(val[i]) << 1 != 0) m.nonZero[r] |= 1L << x;
            return m;
        }

        boolean sameAs(RowMasks o) { return java.util.Arrays.equals(nonZero, o.nonZero); }
    }

    /**
     * The counts behind {@link #patches}, for one sample at a time (work arrays kept from sample to sample): per input
     * row, bit masks of the cells that are not 0 and not the reference when the padded row fits in a long (a few
     * shifts and ORs per row of outputs), else 2-D prefix sums (O(1) per receptive rectangle). Both count the cells of
     * the rectangle the receptive field spans, clipped to the plane.
     */
    private static final class PatchCounts {
        final ConvStep cs;
        /** Per cell (prefix sums per rectangle), two counts in one long: cells not 0 (low half), cells not the reference (high). */
        final long[] counts, any;
        /** Per input row, bit x + padding of cell x: not 0 ({@code nonZero}), not the reference ({@code nonRef}); null without bit masks. */
        final long[] nonZero, nonRef;

        PatchCounts(ConvStep cs, boolean bitMasks) {
            this.cs = cs;
            int stride = cs.w() + 1, plane = cs.h() * cs.w();
            boolean bits = bitMasks && cs.w() + 2 * cs.padding()[1] <= 64;
            counts = bits ? null : new long[(cs.h() + 1) * stride];
            any = bits ? null : new long[plane];
            nonZero = bits ? new long[cs.h()] : null;
            nonRef = bits ? new long[cs.h()] : null;
        }

        PatchCounts(ConvStep cs) { this(cs, true); }

        /**
         * Sample s's patch classes at {@code patch[at + pos]} and exact zero patches at {@code zeroPatch[at + pos]}; the
         * data's row masks, when the input is the data and they are given, spare the bit masks a pass over its cells.
         */
        void fill(int s, double[] val, byte[] cls, RowMasks masks, byte[] patch, boolean[] zeroPatch, int at) {
            Window2d win = cs.win();
            int c = cs.c(), h = cs.h(), w = cs.w(), plane = h * w, stride = w + 1;
            int sh = cs.stride()[0], sw = cs.stride()[1], ph = cs.padding()[0], pw = cs.padding()[1];
            int dh = cs.dilation()[0], dw = cs.dilation()[1], ow = win.outWidth;
            // each channel's reference function in this sample: its BACKGROUND when the plane has one, else ZERO
            boolean padOk = true;
            if (any != null) java.util.Arrays.fill(any, 0);
            else {
                java.util.Arrays.fill(nonZero, 0);
                java.util.Arrays.fill(nonRef, 0);
            }
            if (any == null && masks != null) {
                // the data: no BACKGROUND, so the reference is ZERO, and the cells outside it are the non-zero ones
                for (int ch = 0; ch < c; ch++)
                    for (int y = 0, r = (s * c + ch) * h; y < h; y++, r++) {
                        nonZero[y] |= masks.nonZero[r] << pw;
                        nonRef[y] |= masks.nonZero[r] << pw;
                    }
            }
            for (int ch = 0; ch < c && (any != null || masks == null); ch++) {
                int base = (s * c + ch) * plane;
                boolean bg = false;
                for (int i = 0; i < plane && !bg; i++) bg = cls[base + i] == BACKGROUND;
                padOk &= !bg;
                int ref = bg ? BACKGROUND : ZERO;
                // integer arithmetic, no branches: whether a value is 0 or a class is the reference varies cell by cell
                if (any != null) {
                    for (int i = 0; i < plane; i++) {
                        long bits = Double.doubleToRawLongBits(val[base + i]) << 1;           // 0 exactly for ±0
                        long d = cls[base + i] ^ ref;
                        any[i] |= (bits | -bits) >>> 63 | ((d | -d) >>> 63) << 32;
                    }
                    continue;
                }
                for (int y = 0, i = base; y < h; y++) {
                    long z = 0, r = 0;
                    for (int x = pw; x < pw + w; x++, i++) {
                        long bits = Double.doubleToRawLongBits(val[i]) << 1;
                        long d = cls[i] ^ ref;
                        z |= ((bits | -bits) >>> 63) << x;
                        r |= ((d | -d) >>> 63) << x;
                    }
                    nonZero[y] |= z;
                    nonRef[y] |= r;
                }
            }
            int oh = win.outHeight, kh = dh * (cs.kh() - 1), kw = dw * (cs.kw() - 1);
            if (any == null) {
                for (int oy = 0, pos = at; oy < oh; oy++) {
                    int y0 = oy * sh - ph, y1 = y0 + kh;
                    boolean padY = y0 < 0 || y1 >= h;
                    long z = 0, r = 0;
                    for (int y = Math.max(y0, 0); y <= Math.min(y1, h - 1); y++) {
                        z |= nonZero[y];
                        r |= nonRef[y];
                    }
                    // bit p: a cell in columns p .. p + kw of the padded row (the window of the output at p = ox·sw)
                    long zs = z, rs = r;
                    for (int t = 1; t <= kw; t++) {
                        zs |= z >>> t;
                        rs |= r >>> t;
                    }
                    for (int ox = 0; ox < ow; ox++, pos++) {
                        int x0 = ox * sw - pw, x1 = x0 + kw, p = ox * sw;
                        boolean pad = padY || x0 < 0 || x1 >= w;
                        zeroPatch[pos] = (zs >>> p & 1) == 0;
                        patch[pos] = (rs >>> p & 1) == 0 && (!pad || padOk) ? BACKGROUND : OTHER;
                    }
                }
                return;
            }
            for (int y = 0; y < h; y++) {
                long row = 0;
                for (int x = 0; x < w; x++) {
                    row += any[y * w + x];
                    counts[(y + 1) * stride + x + 1] = counts[y * stride + x + 1] + row;
                }
            }
            for (int oy = 0, pos = at; oy < oh; oy++) {
                int y0 = oy * sh - ph, y1 = y0 + kh, cy0 = Math.max(y0, 0), cy1 = Math.min(y1, h - 1);
                boolean padY = y0 < 0 || y1 >= h;
                for (int ox = 0; ox < ow; ox++, pos++) {
                    int x0 = ox * sw - pw, x1 = x0 + kw, cx0 = Math.max(x0, 0), cx1 = Math.min(x1, w - 1);
                    boolean pad = padY || x0 < 0 || x1 >= w;
                    int sz = 0, sb = 0;
                    if (cy0 <= cy1 && cx0 <= cx1) {
                        // each half of the rectangle's sum is a count in [0, cells]: no borrow crosses the halves
                        long both = rect(counts, stride, cy0, cy1, cx0, cx1);
                        sz = (int) both;
                        sb = (int) (both >>> 32);
                    }
                    zeroPatch[pos] = sz == 0;
                    patch[pos] = sb == 0 && (!pad || padOk) ? BACKGROUND : OTHER;
                }
            }
        }
    }

    /**
     * {@link #patches} of one conv geometry over [batch, c, h, w] values and classes (or, for data, their row masks), by
     * row bit masks or by prefix sums (the tests compare them).
     */
    static void patchClasses(int batch, int c, int h, int w, int out, int kh, int kw, int[] stride, int[] padding, int[] dilation,
                             double[] val, byte[] cls, RowMasks masks, byte[] patch, boolean[] zeroPatch, boolean bitMasks) {
        Window2d win = Window2d.conv(Shape.of(batch, c, h, w), Shape.of(out, c, kh, kw), stride, padding, dilation);
        ConvStep cs = new ConvStep(0, c, h, w, out, kh, kw, stride, padding, dilation, win);
        PatchCounts counts = new PatchCounts(cs, bitMasks);
        for (int s = 0; s < batch; s++) counts.fill(s, val, cls, masks, patch, zeroPatch, s * win.positions());
    }

    /**
     * One conv switch within its rounding bound: its exact sign by an exact zero patch or zero weights (z = b), or by
     * re-evaluation alone when the inputs are exact; else its sample is open. Returns why the step fails, or null.
     */
    private String settle(ConvStep cs, Hidden hd, int s, int o, int pos, PreActivations z, double[] b, double[] wt, double[] val, boolean wZero,
                          boolean zeroPatch, boolean exact, boolean[] open, Counts n, double u) {
        Window2d win = cs.win();
        int c = cs.c(), positions = win.positions(), taps = win.taps(), plane = cs.h() * cs.w();
        double zi = z.get((s * cs.out() + o) * positions + pos), bo = b[o];
        if (zi == 0) n.zeros++;
        if (!(Math.abs(zi) <= Double.MAX_VALUE)) return "sample " + s + ", " + where(hd, o, pos) + ": the framework's pre-activation is " + zi;
        int exactSign;
        if (wZero || zeroPatch) exactSign = sign(bo);                          // the sum is b exactly
        else if (!exact) {
            open[s] = true;
            return null;
        } else {
            exactSign = exactSign(win, c, plane, taps, s, o, pos, -1, wt, i -> val[i], bo);
            n.alone++;
        }
        if (exactSign == 2) {
            open[s] = true;
            return null;
        }
        int mine = sign(zi);
        return exactSign == mine ? null : mismatch(s, hd, o * positions + pos, zi, exactSign, mine);
    }

    /**
     * The fold of a 2×2, stride-2, unpadded max pool over relu(z), computed on the fly with its classes (ZERO where
     * z &lt; 0, else the receptive field's), as {@link #maxPool2x2} does over stored values; {@code outMax} receives
     * each sample's largest output. Float32 pre-activations go through {@link Kernels.Impl#reluMaxPool2x2}, which
     * leaves only the windows with a tie elsewhere than at 0 between dead cells to {@link #tiedWindow}.
     */
    private String reluMaxPool2x2(PreActivations z, ConvMap zm, double[] out, byte[] oc, int[] winner, double[] outMax, int c, Window2d win,
                                  List<FMap> maps, int input, java.util.Map<Long, Boolean> memo, Counts n, int si) {
        int h = win.height, w = win.width, oh = win.outHeight, ow = win.outWidth, plane = h * w, positions = oh * ow;
        byte[] patch = zm.patch;
        if (z.f != null) {
            float[] fmax = floats(si, out.length);
            byte[] code = bytes(-200 - si, out.length);
            Kernels.IMPL.reluMaxPool2x2(z.f, lo * c, hi * c, h, w, fmax, code);
            String fail = consume(z, patch, fmax, code, out, oc, winner, outMax, c, win, maps, input, memo, n, si);
            if (fail == null) n.poolSwitches += 3L * (hi - lo) * c * positions;
            return fail;
        }
        long zeroTies = 0;
        for (int nc = lo * c; nc < hi * c; nc++) {
            int base = nc * plane, ob = nc * positions, pb = nc / c * plane;
            double mx = 0;
            for (int oy = 0; oy < oh; oy++) {
                int row = 2 * oy * w, o = ob + oy * ow;
                for (int ox = 0; ox < ow; ox++, o++) {
                    int r0 = row + 2 * ox, i0 = base + r0;
                    double[] zd = z.d;
                    double z0 = zd[i0], z1 = zd[i0 + 1], z2 = zd[i0 + w], z3 = zd[i0 + w + 1];
                    double h0 = z0 > 0 ? z0 : 0, h1 = z1 > 0 ? z1 : 0, h2 = z2 > 0 ? z2 : 0, h3 = z3 > 0 ? z3 : 0;
                    double m1 = h1 > h0 ? h1 : h0, m2 = h2 > m1 ? h2 : m1, m3 = h3 > m2 ? h3 : m2;
                    if (h1 != h0 && h2 != m1 && h3 != m2) {
                        // no zero switch in the fold: the winner is the last strict increase
                        int r = h3 > m2 ? r0 + w + 1 : h2 > m1 ? r0 + w : h1 > h0 ? r0 + 1 : r0;
                        out[o] = m3;
                        oc[o] = zd[base + r] < 0 ? ZERO : patch[pb + r];
                        winner[o] = base + r;
                    } else if (z0 < 0 && z1 < 0 && z2 < 0 && z3 < 0) {
                        // a dead window: three ties within ZERO
                        zeroTies += 3;
                        out[o] = 0;
                        oc[o] = ZERO;
                        winner[o] = i0;
                    } else {
                        String fail = tiedWindow(z, patch, base, pb, r0, w, out, oc, winner, o, maps, input, memo, n, si, nc, c, oy * ow + ox);
                        if (fail != null) {
                            n.zeroTies += zeroTies;
                            return fail;
                        }
                    }
                    if (m3 > mx) mx = m3;
                }
            }
            if (mx > outMax[nc / c]) outMax[nc / c] = mx;
        }
        n.zeroTies += zeroTies;
        n.poolSwitches += 3L * (hi - lo) * c * positions;
        return null;
    }

    /**
     * The float32 path of {@link #reluMaxPool2x2}: the kernel's maxima and codes turned into the pool's outputs, classes
     * and winners, one loop over each plane's windows (a loop over a row of windows is too short for the JIT to
     * pipeline), the cells of each window's first one from a table; windows with a tie other than at 0 between dead
     * cells go to {@link #tiedWindow}, except four equal positive cells of the background, which the code shows. Adds the
     * ties at 0 to {@code n.zeroTies}; returns why the step fails, or null.
     */
    private String consume(PreActivations z, byte[] patch, float[] fmax, byte[] code, double[] out, byte[] oc, int[] winner, double[] outMax,
                           int c, Window2d win, List<FMap> maps, int input, java.util.Map<Long, Boolean> memo, Counts n, int si) {
        int w = win.width, ow = win.outWidth, plane = win.height * w, positions = win.outHeight * ow;
        int[] first = new int[positions], cell = {0, 1, w, w + 1};
        for (int p = 0; p < positions; p++) first[p] = 2 * (p / ow) * w + 2 * (p % ow);
        long zeroTies = 0;
        for (int nc = lo * c; nc < hi * c; nc++) {
            int base = nc * plane, ob = nc * positions, pb = nc / c * plane;
            // the float32 maxima's bits: integers in the order of the values (all ≥ +0), a 1-cycle max in the loop's chain
            int mxBits = 0;
            for (int p = 0; p < positions; p++) {
                int o = ob + p, cd = code[o];
                mxBits = Math.max(mxBits, Float.floatToRawIntBits(fmax[o]));
                if ((cd & Kernels.TIE_ELSEWHERE) != 0) {
                    // three ties and a positive maximum: the four cells are one positive value (tiedWindow's first case,
                    // decided from the code without reading z again)
                    if ((cd & (Kernels.TIES | Kernels.LIVE)) == (Kernels.TIES | Kernels.LIVE) && backgroundWindow(patch, pb + first[p], w)) {
                        backgroundTie(n, out, oc, winner, o, fmax[o], base + first[p]);
                        continue;
                    }
                    String fail = tiedWindow(z, patch, base, pb, first[p], w, out, oc, winner, o, maps, input, memo, n, si, nc, c, p);
                    if (fail != null) {
                        n.zeroTies += zeroTies;
                        return fail;
                    }
                    continue;
                }
                // every tie of the fold is at 0 between dead cells (ZERO both); the winner is its last strict increase
                zeroTies += (cd & Kernels.TIES) >> Kernels.TIES_SHIFT;
                int r = first[p] + cell[cd & Kernels.WINNER];
                out[o] = fmax[o];
                // ZERO, or the receptive field's class when live (arithmetic: a branch here is a coin toss)
                int live = (cd & Kernels.LIVE) >> 5;
                oc[o] = (byte) (live * patch[pb + r] + (1 - live) * ZERO);
                winner[o] = base + r;
            }
            double mx = Float.intBitsToFloat(mxBits);
            if (mx > outMax[nc / c]) outMax[nc / c] = mx;
        }
        n.zeroTies += zeroTies;
        return null;
    }

    /**
     * A window of {@link #reluMaxPool2x2} with a tie other than at 0 between dead cells: three ties within
     * BACKGROUND when its four cells are one background value, else {@link #fold4}.
     */
    private String tiedWindow(PreActivations z, byte[] patch, int base, int pb, int r0, int w, double[] out, byte[] oc, int[] winner, int o,
                              List<FMap> maps, int input, java.util.Map<Long, Boolean> memo, Counts n, int si, int nc, int c, int pos) {
        int i0 = base + r0;
        double z0 = z.get(i0);
        if (z0 >= 0 && z.get(i0 + 1) == z0 && z.get(i0 + w) == z0 && z.get(i0 + w + 1) == z0 && backgroundWindow(patch, pb + r0, w)) {
            backgroundTie(n, out, oc, winner, o, z0 > 0 ? z0 : 0, i0);
            return null;
        }
        return fold4(z, patch, base, pb, r0, w, out, oc, winner, o, maps, input, memo, n, si, nc, c, pos);
    }

    /** Whether the four cells of the 2×2 window whose first cell's patch class is at {@code at} are all BACKGROUND. */
    private static boolean backgroundWindow(byte[] patch, int at, int w) {
        return patch[at] == BACKGROUND && patch[at + 1] == BACKGROUND && patch[at + w] == BACKGROUND && patch[at + w + 1] == BACKGROUND;
    }

    /** A window of four equal background cells: three ties within BACKGROUND, its value, class and first cell. */
    private static void backgroundTie(Counts n, double[] out, byte[] oc, int[] winner, int o, double value, int cell) {
        n.backgroundTies += 3;
        out[o] = value;
        oc[o] = BACKGROUND;
        winner[o] = cell;
    }

    /** The fold of one 2×2 window over relu(z) with a zero switch: each tie must be between cells of one function. */
    private String fold4(PreActivations z, byte[] patch, int base, int pb, int r0, int w, double[] out, byte[] oc, int[] winner, int o,
                         List<FMap> maps, int input, java.util.Map<Long, Boolean> memo, Counts n, int si, int nc, int c, int pos) {
        int mr = r0;
        double zr = z.get(base + r0);
        double m = zr > 0 ? zr : 0;
        byte q = zr < 0 ? ZERO : patch[pb + r0];
        for (int k = 1; k < 4; k++) {
            int r = r0 + (k == 1 ? 1 : k == 2 ? w : w + 1);
            double ze = z.get(base + r);
            double e = ze > 0 ? ze : 0;
            if (e == m) {
                byte qe = ze < 0 ? ZERO : patch[pb + r];
                if (q == qe && q == ZERO) n.zeroTies++;
                else if (q == qe && q == BACKGROUND) n.backgroundTies++;
                else if (same(maps, input, base + mr, base + r, memo)) n.equalTies++;
                else {
                    // two different functions: a tie of the framework's rounded values whose exact order its rule follows?
                    int order = m > 0 ? exactOrder(maps, input, base + mr, base + r) : 2;
                    if (order == 1) {
                        n.orderedTies++;
                        continue;
                    }
                    return String.format(Locale.ROOT, "sample %d, %s, channel %d, output %d: a pooling tie at %s between "
                            + "cells that are not provably the same function of the parameters (%s and %s)%s",
                            nc / c, ordinal(si, "pool"), nc % c, pos, Double.toString(m), name(q), name(qe),
                            order == -1 ? "; their exact values order the later cell first, against the framework's rule"
                                    : order == 0 ? "; their exact values are equal" : "");
                }
            } else if (e > m) {
                m = e;
                q = ze < 0 ? ZERO : patch[pb + r];
                mr = r;
            }
        }
        out[o] = m;
        oc[o] = q;
        winner[o] = base + mr;
        return null;
    }

    /**
     * For a tie of the framework's values between cells i (earlier in the window's row-major order) and j (later) of a
     * fused stage's relu(z), both z &gt; 0: 1 when the framework gives ties to the earliest cell and the exact sums over
     * its inputs of the conv put z_i strictly above z_j (the framework's tie is then its rounding, and its branch the
     * exact one), −1 or 0 when they put z_j above or equal to it, 2 when that is not decided here (another rule, inputs
     * that are not exact, not a fused stage).
     */
    private int exactOrder(List<FMap> maps, int input, int i, int j) {
        if (!firstCell || !(maps.get(input) instanceof ReluMap rm) || !rm.z.exactInputs) return 2;
        return rm.z.exactOrder(maps.get(rm.z.input), i, j);
    }

    /** {@code buf} with {@code buf[at] = value}, grown when full. */
    private static int[] push(int[] buf, int at, int value) {
        if (at == buf.length) buf = java.util.Arrays.copyOf(buf, 2 * buf.length);
        buf[at] = value;
        return buf;
    }

    /** Whether a pool's stride is its 2×2 kernel and it has no padding (LeNet's pools). */
    private static boolean isPair2(PoolStep ps) {
        Window2d win = ps.win();
        return win.outHeight == win.height / 2 && win.outWidth == win.width / 2 && win.cell(0, 0) == 0 && win.cell(0, 3) == win.width + 1
                && (win.positions() < 2 || win.cell(1, 0) == 2) && (win.outHeight < 2 || win.cell(win.outWidth, 0) == 2 * win.width);
    }

    /**
     * The fold of a 2×2, stride-2, unpadded max pool (cells in row-major window order: (0,0), (0,1), (1,0), (1,1)),
     * as the general loop does it, without the window tables.
     */
    private String maxPool2x2(double[] val, byte[] cls, double[] out, byte[] oc, int[] winner, int c, Window2d win, List<FMap> maps,
                              int input, java.util.Map<Long, Boolean> memo, Counts n, int si) {
        int h = win.height, w = win.width, oh = win.outHeight, ow = win.outWidth, plane = h * w, positions = oh * ow;
        int[] d = {1, w, w + 1};
        for (int nc = lo * c; nc < hi * c; nc++) {
            int base = nc * plane, ob = nc * positions;
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    int i0 = base + 2 * oy * w + 2 * ox, mi = i0;
                    double m = val[i0];
                    byte q = cls[i0];
                    for (int k = 0; k < 3; k++) {
                        int ei = i0 + d[k];
                        double e = val[ei];
                        if (e == m) {
                            byte qe = cls[ei];
                            if (q == qe && q == ZERO) n.zeroTies++;
                            else if (q == qe && q == BACKGROUND) n.backgroundTies++;
                            else if (same(maps, input, mi, ei, memo)) n.equalTies++;
                            else return String.format(Locale.ROOT, "sample %d, %s, channel %d, output %d: a pooling tie at %s between "
                                            + "cells that are not provably the same function of the parameters (%s and %s)",
                                    nc / c, ordinal(si, "pool"), nc % c, oy * ow + ox, Double.toString(m), name(q), name(qe));
                        } else if (e > m) {
                            m = e;
                            q = cls[ei];
                            mi = ei;
                        }
                    }
                    int o = ob + oy * ow + ox;
                    out[o] = m;
                    oc[o] = q;
                    winner[o] = mi;
                }
            }
        }
        n.poolSwitches += 3L * (hi - lo) * c * positions;
        return null;
    }

    // per-step work arrays, reused from one step to the next (a check judges one step at a time)
    private final java.util.Map<Integer, double[]> doubleBuffers = new java.util.HashMap<>();
    private final java.util.Map<Integer, byte[]> byteBuffers = new java.util.HashMap<>();
    private final java.util.Map<Integer, int[]> intBuffers = new java.util.HashMap<>();
    private final java.util.Map<Integer, float[]> floatBuffers = new java.util.HashMap<>();

    private double[] doubles(int key, int length) {
        double[] a = doubleBuffers.get(key);
        if (a == null || a.length != length) doubleBuffers.put(key, a = new double[length]);
        return a;
    }

    private byte[] bytes(int key, int length) {
        byte[] a = byteBuffers.get(key);
        if (a == null || a.length != length) byteBuffers.put(key, a = new byte[length]);
        return a;
    }

    private float[] floats(int key, int length) {
        float[] a = floatBuffers.get(key);
        if (a == null || a.length != length) floatBuffers.put(key, a = new float[length]);
        return a;
    }

    private int[] ints(int key, int length) {
        int[] a = intBuffers.get(key);
        if (a == null || a.length != length) intBuffers.put(key, a = new int[length]);
        return a;
    }

    /** Dense layer: checks the signs of its pre-activations ({@code n.z}); returns why the step fails, or null. */
    private String dense(DenseStep ds, StepValues v, double[] val, double[] maxAbs, boolean exact, boolean[] open, Counts n, double u) {
        int k = ds.hidden(), in = ds.in(), out = ds.out();
        Hidden hd = hidden.get(k);
        double[] z = v.preActivations(k), b = v.bias(k), wt = v.weights(k);
        if (z.length != (long) batch * out || b.length != out || wt.length != (long) out * in || val.length != (long) batch * in)
            throw new IllegalArgumentException("hidden layer " + k + ": arrays do not fit " + batch + " x " + in + " -> " + out);
        double upIn = up(in);
        double[] l1 = new double[out], l2 = new double[out];
        boolean[] wZero = new boolean[out];
        double[] sums = new double[2];
        for (int i = 0; i < out; i++) {
            absAndSquares(wt, i * in, in, sums);
            double s1 = sums[0], s2 = sums[1];
            l1[i] = s1 * upIn;
            l2[i] = Math.sqrt((s2 + in * Double.MIN_VALUE) * upIn) * upIn;     // squares that underflow lose < 2⁻¹⁰⁷⁴ each
            wZero[i] = s1 == 0;
        }
        double gamma = gamma(in + 2, u), tiny = RoundingBounds.underflow(in, precision);
        for (int s = lo; s < hi; s++) {
            absAndSquares(val, s * in, in, sums);
            double q = sums[1];
            boolean zero = sums[0] == 0;
            // ‖h‖₂ bounds the framework's inputs only when they are the values here (exact); else max|h| alone
            double h2 = exact ? Math.sqrt((q + in * Double.MIN_VALUE) * upIn) * upIn : Double.POSITIVE_INFINITY;
            double m = maxAbs[s];
            for (int i = 0; i < out; i++) {
                double zi = z[s * out + i], bi = b[i];
                if (!(Math.abs(zi) <= Double.MAX_VALUE))
                    return "sample " + s + ", " + where(hd, i, 0) + ": the framework's pre-activation is " + zi;
                double t = l1[i] * m;
                if (exact) t = Math.min(t, l2[i] * h2);
                double bound = gamma * (t + Math.abs(bi)) * (1 + 0x1p-48) + tiny;
                if (Math.abs(zi) > bound) continue;
                int exactSign;
                if (wZero[i] || zero) exactSign = sign(bi);
                else if (!exact) {
                    open[s] = true;
                    continue;
                } else {
                    double y = 0, a = 0;
                    int underflows = 0;
                    for (int j = 0, wb = i * in, vb = s * in; j < in; j++) {
                        double p = wt[wb + j] * val[vb + j];
                        y += p;
                        a += Math.abs(p);
                        if (RoundingBounds.underflowed(p, wt[wb + j], val[vb + j])) underflows++;
                    }
                    n.alone++;
                    exactSign = RoundingBounds.exactSign(y + bi, a + Math.abs(bi), in, underflows);
                }
                if (exactSign == 2) {
                    open[s] = true;
                    continue;
                }
                int mine = sign(zi);
                if (exactSign != mine) return mismatch(s, hd, i, zi, exactSign, mine);
            }
        }
        n.z = z;
        n.zCls = null;
        return null;
    }

    /**
     * {Σ|x_j|, Σ x_j²} over x[from, from + n) into {@code sums}, each in four partial sums (one would wait on each
     * addition's latency; the bounds built on them hold for any order). Σ|x_j| is 0 exactly when every value is ±0.
     */
    static void absAndSquares(double[] x, int from, int n, double[] sums) {
        double a0 = 0, a1 = 0, a2 = 0, a3 = 0, q0 = 0, q1 = 0, q2 = 0, q3 = 0;
        int j = from, e = from + n;
        for (; j + 3 < e; j += 4) {
            double x0 = x[j], x1 = x[j + 1], x2 = x[j + 2], x3 = x[j + 3];
            a0 += Math.abs(x0);
            a1 += Math.abs(x1);
            a2 += Math.abs(x2);
            a3 += Math.abs(x3);
            q0 += x0 * x0;
            q1 += x1 * x1;
            q2 += x2 * x2;
            q3 += x3 * x3;
        }
        for (; j < e; j++) {
            a0 += Math.abs(x[j]);
            q0 += x[j] * x[j];
        }
        sums[0] = (a0 + a1) + (a2 + a3);
        sums[1] = (q0 + q1) + (q2 + q3);
    }

    private static long rect(long[] p, int stride, int y0, int y1, int x0, int x1) {
        return p[(y1 + 1) * stride + x1 + 1] - p[y0 * stride + x1 + 1] - p[(y1 + 1) * stride + x0] + p[y0 * stride + x0];
    }

    /** Per sample of this part, the largest |value| times {@code factor} (an upper bound of the framework's values). */
    private double[] maxAbs(double[] val, double factor) {
        int per = val.length / batch;
        double[] m = new double[batch];
        for (int s = lo; s < hi; s++) {
            double x = 0;
            for (int j = s * per, e = j + per; j < e; j++) x = Math.max(x, Math.abs(val[j]));
            m[s] = factor == 1 ? x : x * factor * (1 + 0x1p-50);
        }
        return m;
    }

    /** γ_n = n·u/(1 − n·u), rounded up; infinite when n·u ≥ ½. */
    private static double gamma(long n, double u) { return RoundingBounds.gamma(n, u); }

    private static double up(long n) { return RoundingBounds.up(n); }

    /**
     * The exact sign of the conv sum of sample s and output channel o at position pi, minus the same sum at position
     * pj when pj ≥ 0, plus b, over inputs x [N, c, plane] (a padded tap reads 0): in double, each product rounded and
     * the sum's rounding bounded ({@link RoundingBounds#exactSign}: 1, −1, 0, or 2 when undecided). One switch
     * re-evaluated alone (pj &lt; 0), or the order of two outputs of one plane (b = 0: the bias cancels).
     */
    private static int exactSign(Window2d win, int c, int plane, int taps, int s, int o, int pi, int pj, double[] wt,
                                 java.util.function.IntToDoubleFunction x, double b) {
        double y = 0, a = 0;
        int underflows = 0;
        for (int ch = 0; ch < c; ch++) {
            int vb = (s * c + ch) * plane, wb = (o * c + ch) * taps;
            for (int t = 0; t < taps; t++) {
                int ci = win.cell(pi, t), cj = pj < 0 ? -1 : win.cell(pj, t);
                double w = wt[wb + t], xi = ci < 0 ? 0 : x.applyAsDouble(vb + ci), xj = cj < 0 ? 0 : x.applyAsDouble(vb + cj);
                double p = ci < 0 ? 0 : w * xi, q = cj < 0 ? 0 : w * xj;
                y += p - q;
                a += Math.abs(p) + Math.abs(q);
                if (RoundingBounds.underflowed(p, w, xi)) underflows++;
                if (RoundingBounds.underflowed(q, w, xj)) underflows++;
            }
        }
        return RoundingBounds.exactSign(y + b, a + Math.abs(b), (pj < 0 ? 1L : 2L) * c * taps, underflows);
    }

    private static int sign(double x) { return x > 0 ? 1 : x < 0 ? -1 : 0; }

    private static String name(byte q) { return q == ZERO ? "constant zero" : q == BACKGROUND ? "background" : "other"; }

    /** "pool 2" for the second pool of the chain, counting up to step {@code si}. */
    private String ordinal(int si, String what) {
        int k = 0;
        for (int i = 0; i <= si; i++) if (steps.get(i) instanceof PoolStep) k++;
        return what + " " + k;
    }

    private static String where(Hidden hd, int unit, int pos) {
        return hd.kind() == Kind.CONV ? "activation '" + hd.activation() + "', channel " + unit + ", position " + pos
                : "activation '" + hd.activation() + "', unit " + unit;
    }

    private static String mismatch(int s, Hidden hd, int i, double zi, int exact, int mine) {
        return String.format(Locale.ROOT, "sample %d, activation '%s', switch %d: the framework's pre-activation is %s, its exact sign is %d (%s)",
                s, hd.activation(), i, Double.toString(zi), exact,
                mine == 0 ? "a spurious kink" : exact == 0 ? "an exact kink the framework missed" : "a flipped sign");
    }

    // ------------------------------------------------------------------ parsing

    /** The same node ids and ops in the same order (so node indices agree). */
    private static boolean sameNodes(Procedure a, Procedure b) {
        if (a.nodes().size() != b.nodes().size()) return false;
        for (int i = 0; i < a.nodes().size(); i++)
            if (!a.node(i).id().equals(b.node(i).id()) || a.node(i).op() != b.node(i).op()) return false;
        return true;
    }

    /**
     * Recognises the chain in a procedure: from its first data tensor (reshaped to NCHW or already NCHW) through
     * conv stages, a flatten, dense layers and the output layer to the loss.
     */
    private static Chain parse(Procedure p) {
        List<Step> steps = new ArrayList<>();
        List<Hidden> hidden = new ArrayList<>();
        if (p.data().isEmpty()) return refuse("the procedure has no data");
        String x = p.data().get(0).name();
        String head = x;
        int[] shape = p.shape(x).dims();
        int[] input = null;
        int nodes = p.nodes().size();
        boolean flat = false, lossSeen = false;
        for (int i = 0; i < nodes; i++) {
            Node n = p.node(i);
            String at = "node '" + n.id() + "' (" + n.op().jsonName() + ")";
            if (lossSeen) {
                if (n.op() == Op.SCALE && n.arg(0).equals(head)) { head = n.id(); continue; }
                return refuse(at + " follows the loss");
            }
            if (n.args().isEmpty() || !n.arg(0).equals(head))
                return refuse(at + " does not read the chain's previous value '" + head + "' (a residual connection or a branch)");
            switch (n.op()) {
                case RESHAPE -> {
                    if (!head.equals(x) || shape.length != 2 || p.shape(n.id()).rank() != 4)
                        return refuse(at + " is not the reshape of the data rows into images");
                    shape = p.shape(n.id()).dims();
                    head = n.id();
                }
                case CONV2D -> {
                    if (shape.length != 4 || flat) return refuse(at + " does not read an image");
                    if (n.args().size() < 3) return refuse(at + " has no bias (FAST needs a private bias per channel)");
                    if (!p.isParameter(n.arg(1)) || !p.isParameter(n.arg(2))) return refuse(at + ": its weight and bias are not parameters");
                    if (n.attribute("groups", 1) != 1) return refuse(at + " is a grouped convolution");
                    if (i + 1 >= nodes || !isAct(p.node(i + 1).op()) || !p.node(i + 1).arg(0).equals(n.id()))
                        return refuse(i + 1 >= nodes ? at + " is the last node" : "node '" + p.node(i + 1).id() + "' ("
                                + p.node(i + 1).op().jsonName() + ") follows " + at + ": FAST covers conv → relu or leaky_relu → pool "
                                + "stages (batch norm, dropout and pooling before the activation are not covered)");
                    if (input == null) input = new int[] {shape[1], shape[2], shape[3]};
                    Shape w = p.shape(n.arg(1));
                    Window2d win = Window2d.of(p, i);
                    Node a = p.node(i + 1);
                    int fanIn = w.dim(1) * w.dim(2) * w.dim(3);
                    int[] out = p.shape(n.id()).dims();
                    hidden.add(new Hidden(Kind.CONV, n.arg(1), n.arg(2), a.id(), activation(a), a.attribute("alpha", 0), fanIn, w.dim(0),
                            out[1] * out[2] * out[3]));
                    steps.add(new ConvStep(hidden.size() - 1, shape[1], shape[2], shape[3], w.dim(0), w.dim(2), w.dim(3),
                            n.pair("stride", new int[] {1, 1}), n.pair("padding", new int[] {0, 0}), n.pair("dilation", new int[] {1, 1}), win));
                    steps.add(new ActStep(hidden.size() - 1, a.op() == Op.LEAKY_RELU, a.attribute("alpha", 0), i + 1));
                    shape = out;
                    head = a.id();
                    i++;
                }
                case MAX_POOL2D, AVG_POOL2D -> {
                    if (steps.isEmpty() || !(steps.get(steps.size() - 1) instanceof ActStep act) || shape.length != 4 || flat)
                        return refuse(at + " does not follow a convolution's activation (FAST covers conv → activation → pool)");
                    if (n.op() == Op.MAX_POOL2D && act.leaky())
                        return refuse(at + " pools a leaky ReLU's rounded outputs, whose comparisons are not known exactly");
                    steps.add(new PoolStep(n.op() == Op.MAX_POOL2D, shape[1], Window2d.of(p, i), i));
                    shape = p.shape(n.id()).dims();
                    head = n.id();
                }
                case FLATTEN -> {
                    if (shape.length != 4 || flat) return refuse(at + " does not flatten an image");
                    steps.add(new FlattenStep());
                    shape = p.shape(n.id()).dims();
                    flat = true;
                    head = n.id();
                }
                case MATMUL -> {
                    if (shape.length != 2) return refuse(at + " does not read rows (flatten first)");
                    if (!p.isParameter(n.arg(1))) return refuse(at + ": its weight is not a parameter");
                    Node add = i + 1 < nodes ? p.node(i + 1) : null;
                    if (add == null || add.op() != Op.ADD || !add.arg(0).equals(n.id()) || !p.isParameter(add.arg(1))
                            || p.shape(add.arg(1)).rank() != 1)
                        return refuse(at + " has no bias (FAST needs a private bias per unit)");
                    Shape w = p.shape(n.arg(1));
                    Node a = i + 2 < nodes ? p.node(i + 2) : null;
                    if (a != null && isAct(a.op()) && a.arg(0).equals(add.id())) {
                        hidden.add(new Hidden(Kind.DENSE, n.arg(1), add.arg(1), a.id(), activation(a), a.attribute("alpha", 0), w.dim(0),
                                w.dim(1), w.dim(1)));
                        steps.add(new DenseStep(hidden.size() - 1, w.dim(0), w.dim(1)));
                        steps.add(new ActStep(hidden.size() - 1, a.op() == Op.LEAKY_RELU, a.attribute("alpha", 0), i + 2));
                        head = a.id();
                        i += 2;
                    } else {
                        head = add.id();                 // the output layer: the loss must read it
                        i++;
                        Node loss = i + 1 < nodes ? p.node(i + 1) : null;
                        if (loss == null || (loss.op() != Op.SOFTMAX_CROSS_ENTROPY && loss.op() != Op.MSE) || !loss.arg(0).equals(head))
                            return refuse("the output layer '" + add.id() + "' is not read by a softmax cross-entropy or mse loss");
                    }
                    shape = p.shape(head).dims();
                }
                case SOFTMAX_CROSS_ENTROPY, MSE -> {
                    if (!flat && input != null) return refuse(at + " reads an image");
                    lossSeen = true;
                    head = n.id();
                }
                case BATCH_NORM, BATCH_NORM_EVAL -> { return refuse(at + ": batch norm is not covered (FAST covers conv → activation → pool stages)"); }
                case MUL -> { return refuse(at + ": a product such as a dropout mask is not covered"); }
                case ADD -> { return refuse(at + ": an addition outside a dense layer (a residual connection) is not covered"); }
                default -> { return refuse(at + " is not part of a conv → activation → pool → flatten → dense chain"); }
            }
        }
        if (!lossSeen || !head.equals(p.output())) return refuse("the chain does not end in a softmax cross-entropy or mse loss");
        if (input == null) return refuse("the network has no convolution (the dense check covers it)");
        return new Chain(List.copyOf(steps), List.copyOf(hidden), input, null);
    }

    private static boolean isAct(Op op) { return op == Op.RELU || op == Op.LEAKY_RELU; }

    private static DenseFastCheck.Activation activation(Node a) {
        return a.op() == Op.RELU ? DenseFastCheck.Activation.RELU : DenseFastCheck.Activation.LEAKY_RELU;
    }

    private static Chain refuse(String why) { return new Chain(List.of(), List.of(), null, why); }
}
