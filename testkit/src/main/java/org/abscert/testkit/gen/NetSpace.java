package org.abscert.testkit.gen;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import org.abscert.spi.ir.Procedure;

/**
 * A set of generated nets at generated points, described the way it reads:
 *
 * <pre>{@code
 * NetSpace.denseNets().withBiases().batchOf(1).withKinksForced(1, 3).arbitrary()
 * NetSpace.denseNets().withBiases().batchBetween(2, 4).withDuplicatedSamples().arbitrary()
 * }</pre>
 *
 * Immutable: every method returns a narrowed copy. The default space is dense nets of depth 1–4 (hidden
 * layers) and widths 1–16, with or without biases, every activation except relu(z) − relu(−z), every loss,
 * batches of 1–4 independent rows, 0–3 forced kinks, and values of magnitude at most 1 (see
 * {@link #withMagnitudesUpTo}). Only points at which float32 computes every switch exactly are generated, unless
 * {@link #withSmoothLayers} or {@link #withRoundingMadeZeros} widen the space beyond them.
 */
public record NetSpace(int maxDepth, int maxWidth, int maxOutput, List<Activation> activations, List<Loss> losses,
                       List<Boolean> bias, int minBatch, int maxBatch, int minKinks, int maxKinks,
                       int duplicates, boolean oppositeTargets, int affineRows, int magnitude, boolean smoothLayers,
                       int roundingZeros) {

    public NetSpace {
        activations = List.copyOf(activations);
        losses = List.copyOf(losses);
        bias = List.copyOf(bias);
    }

    /** The default space (see the class comment). */
    public static NetSpace denseNets() {
        List<Activation> acts = Arrays.stream(Activation.values()).filter(a -> a != Activation.RELU_DIFFERENCE && !a.smooth()).toList();
        return new NetSpace(4, 16, 4, acts, List.of(Loss.values()), List.of(true, false), 1, 4, 0, 3, 0, false, 0, 0, false, 0);
    }

    public NetSpace withBiases() { return with(List.of(true)); }

    public NetSpace withoutBiases() { return with(List.of(false)); }

    private NetSpace with(List<Boolean> b) {
        return new NetSpace(maxDepth, maxWidth, maxOutput, activations, losses, b, minBatch, maxBatch, minKinks,
                maxKinks, duplicates, oppositeTargets, affineRows, magnitude, smoothLayers, roundingZeros);
    }

    public NetSpace depthUpTo(int depth) {
        return new NetSpace(depth, maxWidth, maxOutput, activations, losses, bias, minBatch, maxBatch, minKinks,
                maxKinks, duplicates, oppositeTargets, affineRows, magnitude, smoothLayers, roundingZeros);
    }

    public NetSpace widthsUpTo(int width) {
        return new NetSpace(maxDepth, width, Math.min(maxOutput, width), activations, losses, bias, minBatch, maxBatch,
                minKinks, maxKinks, duplicates, oppositeTargets, affineRows, magnitude, smoothLayers, roundingZeros);
    }

    public NetSpace activations(Activation... acts) {
        return new NetSpace(maxDepth, maxWidth, maxOutput, List.of(acts), losses, bias, minBatch, maxBatch, minKinks,
                maxKinks, duplicates, oppositeTargets, affineRows, magnitude, smoothLayers, roundingZeros);
    }

    public NetSpace losses(Loss... ls) {
        return new NetSpace(maxDepth, maxWidth, maxOutput, activations, List.of(ls), bias, minBatch, maxBatch,
                minKinks, maxKinks, duplicates, oppositeTargets, affineRows, magnitude, smoothLayers, roundingZeros);
    }

    public NetSpace batchOf(int n) { return batchBetween(n, n); }

    public NetSpace batchBetween(int lo, int hi) {
        return new NetSpace(maxDepth, maxWidth, maxOutput, activations, losses, bias, lo, hi, minKinks, maxKinks,
                duplicates, oppositeTargets, affineRows, magnitude, smoothLayers, roundingZeros);
    }

    /** Between {@code lo} and {@code hi} forcing sites; with {@code lo ≥ 1} at least one switch is active. */
    public NetSpace withKinksForced(int lo, int hi) {
        return new NetSpace(maxDepth, maxWidth, maxOutput, activations, losses, bias, minBatch, maxBatch, lo, hi,
                duplicates, oppositeTargets, affineRows, magnitude, smoothLayers, roundingZeros);
    }

    /**
     * Nets with biases at points where no switch is at its kink (f is differentiable there): no forced kinks,
     * and each bias carries a binary digit finer than every other term of its pre-activation.
     */
    public NetSpace atSmoothPoints() { return withBiases().withKinksForced(0, 0); }

    /** One or two rows duplicate others (same targets); needs a batch of at least 2. */
    public NetSpace withDuplicatedSamples() {
        return new NetSpace(maxDepth, maxWidth, maxOutput, activations, losses, bias, Math.max(2, minBatch),
                Math.max(2, maxBatch), minKinks, maxKinks, 2, false, affineRows, magnitude, smoothLayers, roundingZeros);
    }

    /** Duplicated rows whose copies carry the opposite regression target (or another class). */
    public NetSpace withDuplicatedSamplesAndOppositeTargets() {
        return new NetSpace(maxDepth, maxWidth, maxOutput, activations, losses, bias, Math.max(2, minBatch),
                Math.max(2, maxBatch), minKinks, maxKinks, 2, true, affineRows, magnitude, smoothLayers, roundingZeros);
    }

    /** One row is an affine combination of two others; needs a batch of at least 3. */
    public NetSpace withAffinelyDependentSamples() {
        return new NetSpace(maxDepth, maxWidth, maxOutput, activations, losses, bias, Math.max(3, minBatch),
                Math.max(3, maxBatch), minKinks, maxKinks, duplicates, oppositeTargets, 1, magnitude, smoothLayers, roundingZeros);
    }

    /**
     * Weights and biases scaled by 2^e for e up to {@code exponent} (and inputs alike), so that values up to
     * ±2^exponent occur; points whose switches float32 cannot compute exactly are still left out.
     */
    public NetSpace withMagnitudesUpTo(int exponent) {
        return new NetSpace(maxDepth, maxWidth, maxOutput, activations, losses, bias, minBatch, maxBatch, minKinks,
                maxKinks, duplicates, oppositeTargets, affineRows, exponent, smoothLayers, roundingZeros);
    }

    /**
     * Adds the smooth activations (tanh, sigmoid, softplus) and accepts points whose switches float32 cannot
     * compute exactly. A kink forced after a smooth layer is then 0 in the generator's double arithmetic but only
     * an irrational hair from 0 in truth (THEORY.md §8: the certifier decides such a switch numerically), and
     * {@link NetCase#activeSwitches} counts zeros of that double model.
     */
    public NetSpace withSmoothLayers() {
        List<Activation> acts = new java.util.ArrayList<>(activations);
        for (Activation a : Activation.values()) if (a.smooth() && !acts.contains(a)) acts.add(a);
        return new NetSpace(maxDepth, maxWidth, maxOutput, acts, losses, bias, minBatch, maxBatch, minKinks, maxKinks,
                duplicates, oppositeTargets, affineRows, magnitude, true, roundingZeros);
    }

    /**
     * Up to {@code n} first-layer units (with a kink activation) whose pre-activation at one row is exactly
     * x·2⁻²⁶ instead of 0: one weight is 2⁻²⁶ and the bias cancels every other term. A float32 sum that adds that
     * term to a partial sum of magnitude ½ or more loses it and sees a kink that is not there (a spurious kink,
     * THEORY.md §8); float64 sums keep it. Needs biases; such points are accepted although they are not exact in
     * float32.
     */
    public NetSpace withRoundingMadeZeros(int n) {
        return new NetSpace(maxDepth, maxWidth, maxOutput, activations, losses, bias, minBatch, maxBatch, minKinks, maxKinks,
                duplicates, oppositeTargets, affineRows, magnitude, smoothLayers, n);
    }

    /** Whether every generated point is one at which float32 computes every switch exactly. */
    public boolean exactOnly() { return !smoothLayers && roundingZeros == 0; }

    // ---- the pieces ----

    Arbitrary<Integer> widths() { return Arbitraries.integers().between(1, maxWidth); }

    Arbitrary<Architecture.Hidden> hiddenLayers() {
        // smooth layers only where asked for: without them the exactness filter would reject most such nets
        List<Activation> acts = smoothLayers ? activations : activations.stream().filter(a -> !a.smooth()).toList();
        if (acts.isEmpty()) throw new IllegalArgumentException("only smooth activations " + activations + " without withSmoothLayers()");
        return Combinators.combine(widths(), Arbitraries.of(acts)).as(Architecture.Hidden::new);
    }

    /** Architectures in this space. */
    public Arbitrary<Architecture> architectures() {
        return Combinators.combine(
                widths(),
                hiddenLayers().list().ofMinSize(1).ofMaxSize(maxDepth),
                Arbitraries.integers().between(1, maxOutput),
                Arbitraries.of(bias),
                Arbitraries.of(losses),
                Arbitraries.integers().between(minBatch, maxBatch)).as(Architecture::new);
    }

    static Arbitrary<KinkSite> kinkSites() {
        return Combinators.combine(Arbitraries.integers().between(0, 4), Arbitraries.integers().between(0, 15),
                Arbitraries.integers().between(0, 7), Arbitraries.of(false, true)).as(KinkSite::new);
    }

    Arbitrary<BatchPlan> batchPlans() {
        Arbitrary<Integer> row = Arbitraries.integers().between(0, 7);
        Arbitrary<BatchPlan.Duplicate> duplicate = Combinators.combine(row, row, Arbitraries.of(oppositeTargets))
                .as(BatchPlan.Duplicate::new);
        Arbitrary<BatchPlan.AffineRow> affine = Combinators.combine(row, row, row, Arbitraries.of(false, true))
                .as(BatchPlan.AffineRow::new);
        return Combinators.combine(duplicate.list().ofMinSize(duplicates == 0 ? 0 : 1).ofMaxSize(duplicates),
                affine.list().ofSize(affineRows)).as(BatchPlan::new);
    }

    static Arbitrary<List<Double>> oneHotRows(int rows, int classes) {
        return Arbitraries.integers().between(0, classes - 1).list().ofSize(rows).map(cs -> {
            List<Double> y = new ArrayList<>();
            for (int c : cs) IntStream.range(0, classes).forEach(j -> y.add(j == c ? 1.0 : 0.0));
            return y;
        });
    }

    /** Nets at points in this space. */
    public Arbitrary<NetCase> arbitrary() {
        return architectures().flatMap(arch -> {
            Procedure p = arch.procedure();
            Arbitrary<List<Double>> targets = arch.loss().oneHot() ? oneHotRows(arch.batch(), arch.output())
                    : Dyadic.inputs().list().ofSize(arch.batch() * arch.output());
            return Combinators.combine(
                    Dyadic.scaled(Dyadic.weights(), magnitude).list().ofSize(p.parameterSize()),
                    Dyadic.scaled(Dyadic.inputs(), magnitude).list().ofSize(arch.batch() * arch.input()),
                    targets,
                    kinkSites().list().ofMinSize(minKinks).ofMaxSize(maxKinks),
                    batchPlans(),
                    kinkSites().list().ofMaxSize(roundingZeros)).as((w, x, y, sites, plan, rounding) ->
                            NetCase.build(arch, p, w, x, y, sites, plan, maxKinks == 0, rounding));
        }).filter(c -> !exactOnly() || c.exactInFloat32()).filter(c -> maxKinks == 0 ? c.activeSwitches() == 0
                : c.activeSwitches() >= Math.min(minKinks, 1));
    }
}
