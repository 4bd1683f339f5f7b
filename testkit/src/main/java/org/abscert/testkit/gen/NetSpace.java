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
 * {@link #withMagnitudesUpTo}). Only points at which float32 computes every switch exactly are generated.
 */
public record NetSpace(int maxDepth, int maxWidth, int maxOutput, List<Activation> activations, List<Loss> losses,
                       List<Boolean> bias, int minBatch, int maxBatch, int minKinks, int maxKinks,
                       int duplicates, boolean oppositeTargets, int affineRows, int magnitude) {

    public NetSpace {
        activations = List.copyOf(activations);
        losses = List.copyOf(losses);
        bias = List.copyOf(bias);
    }

    /** The default space (see the class comment). */
    public static NetSpace denseNets() {
        List<Activation> acts = Arrays.stream(Activation.values()).filter(a -> a != Activation.RELU_DIFFERENCE).toList();
        return new NetSpace(4, 16, 4, acts, List.of(Loss.values()), List.of(true, false), 1, 4, 0, 3, 0, false, 0, 0);
    }

    public NetSpace withBiases() { return with(List.of(true)); }

    public NetSpace withoutBiases() { return with(List.of(false)); }

    private NetSpace with(List<Boolean> b) {
        return new NetSpace(maxDepth, maxWidth, maxOutput, activations, losses, b, minBatch, maxBatch, minKinks,
                maxKinks, duplicates, oppositeTargets, affineRows, magnitude);
    }

    public NetSpace depthUpTo(int depth) {
        return new NetSpace(depth, maxWidth, maxOutput, activations, losses, bias, minBatch, maxBatch, minKinks,
                maxKinks, duplicates, oppositeTargets, affineRows, magnitude);
    }

    public NetSpace widthsUpTo(int width) {
        return new NetSpace(maxDepth, width, Math.min(maxOutput, width), activations, losses, bias, minBatch, maxBatch,
                minKinks, maxKinks, duplicates, oppositeTargets, affineRows, magnitude);
    }

    public NetSpace activations(Activation... acts) {
        return new NetSpace(maxDepth, maxWidth, maxOutput, List.of(acts), losses, bias, minBatch, maxBatch, minKinks,
                maxKinks, duplicates, oppositeTargets, affineRows, magnitude);
    }

    public NetSpace losses(Loss... ls) {
        return new NetSpace(maxDepth, maxWidth, maxOutput, activations, List.of(ls), bias, minBatch, maxBatch,
                minKinks, maxKinks, duplicates, oppositeTargets, affineRows, magnitude);
    }

    public NetSpace batchOf(int n) { return batchBetween(n, n); }

    public NetSpace batchBetween(int lo, int hi) {
        return new NetSpace(maxDepth, maxWidth, maxOutput, activations, losses, bias, lo, hi, minKinks, maxKinks,
                duplicates, oppositeTargets, affineRows, magnitude);
    }

    /** Between {@code lo} and {@code hi} forcing sites; with {@code lo ≥ 1} at least one switch is active. */
    public NetSpace withKinksForced(int lo, int hi) {
        return new NetSpace(maxDepth, maxWidth, maxOutput, activations, losses, bias, minBatch, maxBatch, lo, hi,
                duplicates, oppositeTargets, affineRows, magnitude);
    }

    /**
     * Nets with biases at points where no switch is at its kink (f is differentiable there): no forced kinks,
     * and each bias carries a binary digit finer than every other term of its pre-activation.
     */
    public NetSpace atSmoothPoints() { return withBiases().withKinksForced(0, 0); }

    /** One or two rows duplicate others (same targets); needs a batch of at least 2. */
    public NetSpace withDuplicatedSamples() {
        return new NetSpace(maxDepth, maxWidth, maxOutput, activations, losses, bias, Math.max(2, minBatch),
                Math.max(2, maxBatch), minKinks, maxKinks, 2, false, affineRows, magnitude);
    }

    /** Duplicated rows whose copies carry the opposite regression target (or another class). */
    public NetSpace withDuplicatedSamplesAndOppositeTargets() {
        return new NetSpace(maxDepth, maxWidth, maxOutput, activations, losses, bias, Math.max(2, minBatch),
                Math.max(2, maxBatch), minKinks, maxKinks, 2, true, affineRows, magnitude);
    }

    /** One row is an affine combination of two others; needs a batch of at least 3. */
    public NetSpace withAffinelyDependentSamples() {
        return new NetSpace(maxDepth, maxWidth, maxOutput, activations, losses, bias, Math.max(3, minBatch),
                Math.max(3, maxBatch), minKinks, maxKinks, duplicates, oppositeTargets, 1, magnitude);
    }

    /**
     * Weights and biases scaled by 2^e for e up to {@code exponent} (and inputs alike), so that values up to
     * ±2^exponent occur; points whose switches float32 cannot compute exactly are still left out.
     */
    public NetSpace withMagnitudesUpTo(int exponent) {
        return new NetSpace(maxDepth, maxWidth, maxOutput, activations, losses, bias, minBatch, maxBatch, minKinks,
                maxKinks, duplicates, oppositeTargets, affineRows, exponent);
    }

    // ---- the pieces ----

    Arbitrary<Integer> widths() { return Arbitraries.integers().between(1, maxWidth); }

    Arbitrary<Architecture.Hidden> hiddenLayers() {
        return Combinators.combine(widths(), Arbitraries.of(activations)).as(Architecture.Hidden::new);
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
                    batchPlans()).as((w, x, y, sites, plan) -> NetCase.build(arch, p, w, x, y, sites, plan, maxKinks == 0));
        }).filter(NetCase::exactInFloat32).filter(c -> maxKinks == 0 ? c.activeSwitches() == 0
                : c.activeSwitches() >= Math.min(minKinks, 1));
    }
}
