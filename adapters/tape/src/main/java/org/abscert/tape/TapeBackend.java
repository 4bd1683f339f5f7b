package org.abscert.tape;

import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.WeakHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.abscert.spi.Backend;
import org.abscert.spi.BackendException;
import org.abscert.spi.Evaluation;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Op;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;

/**
 * The built-in reverse-mode tape: a pure-Java AD backend over the procedure IR, in float64, float32, bfloat16
 * or float16.
 *
 * <p>The forward sweep evaluates the nodes in order into flat row-major arrays and records the switching
 * variables; the reverse sweep propagates adjoints from the output back to the parameters, reducing over
 * broadcast axes. Kinks hit exactly get the derivative of the configured {@link TapeRules} (PyTorch's by
 * default). In float32 the parameters and data (and the attributes {@code k}, {@code alpha}) are rounded to
 * float first, and every elementary arithmetic operation of the forward and reverse sweeps is rounded to
 * float; matrix products accumulate in float; exp, log, tanh and friends are evaluated in double and
 * rounded once. In bfloat16 and float16 ({@link Precision#round} from double: nearest, ties to even) every
 * elementwise result is rounded to the format, while matrix products, {@code sum}, {@code mean} and the
 * reductions inside {@code mse} and {@code softmax_cross_entropy} accumulate in float32 and round the result
 * once; the attributes {@code k} and {@code alpha} stay float32 — PyTorch's contract on CPU. A point value
 * beyond the format's range (above 65504 in float16) is refused with a {@link BackendException} naming it.
 *
 * <p><b>Random kink mode</b> ({@link Builder#randomKinks(long)}) models a non-deterministic tool: every
 * switch that evaluates to exactly zero gets its own |·| slope c, drawn uniformly from {−1, +1}, and the op's
 * derivative is the one that slope implies (relu′(0) = (1+c)/2, abs′(0) = c, max ties ((1+c)/2, (1−c)/2),
 * min ties ((1−c)/2, (1+c)/2), leaky_relu′(0) = ((1+α) + (1−α)c)/2, hardtanh′(−1) = (1+c)/2,
 * hardtanh′(+1) = (1−c)/2). The draws come from a generator seeded with the seed and the number of earlier
 * calls, so one backend instance gives a reproducible sequence of different choices across calls, and
 * different switches of one call are independent.
 *
 * <p>The switch trace reports, at each zero switch, the slope c that was applied (for fixed rules, the
 * slope they imply, or NaN when max/min tie weights do not sum to 1); NaN elsewhere. A switch that evaluates
 * to −0 is reported as +0. Nodes after the output are evaluated too, since they own switches in the
 * canonical numbering.
 *
 * <p>Other choices: a kink is "hit" when the switching variable is exactly zero in the working precision
 * (for max/min, when a − b rounds to zero, which for finite floats means a = b); {@code log} of a
 * non-positive number and overflow follow IEEE arithmetic (NaN, ±∞) rather than raising an error;
 * softmax_cross_entropy on 1-D logits treats them as one row, computes log-softmax with the row maximum
 * subtracted, and skips the terms whose target is 0 so that 0·log 0 counts as 0; its gradient with respect
 * to the targets, when they are parameters, is −log softmax / rows.
 *
 * <pre>{@code
 * Backend pytorchLike = TapeBackend.builder().build();                          // name "tape"
 * Backend reluOne = TapeBackend.builder().name("tape-relu1").rules(TapeRules.relu0(1)).build();
 * Backend random = TapeBackend.builder().name("tape-random").randomKinks(42).build();
 * }</pre>
 *
 * Instances are immutable apart from the random mode's call counter and may be shared between threads.
 */
public final class TapeBackend implements Backend {
    /** The name of the default backend registered with the service loader. */
    public static final String NAME = "tape";
    /** The version reported by {@link #version()}. */
    public static final String VERSION = "0.1.0";

    /** Per procedure (by identity; Procedure does not override equals), its compiled form. */
    private static final Map<Procedure, Compiled> COMPILED = Collections.synchronizedMap(new WeakHashMap<>());

    private final String name;
    private final TapeRules rules;
    private final boolean random;
    private final long seed;
    private final Set<Precision> precisions;
    private final AtomicLong calls = new AtomicLong();

    private TapeBackend(Builder b) {
        this.name = b.name;
        this.rules = b.rules;
        this.random = b.random;
        this.seed = b.seed;
        this.precisions = Collections.unmodifiableSet(EnumSet.copyOf(b.precisions));
    }

    /** A builder starting from name {@code tape}, PyTorch rules, every precision, no random mode. */
    public static Builder builder() { return new Builder(); }

    /** The default backend: name {@code tape}, PyTorch's kink rules. */
    public static TapeBackend create() { return builder().build(); }

    /**
     * Configured variants useful for comparisons: {@code tape} (PyTorch rules), {@code tape-relu0.5} and
     * {@code tape-relu1} (PyTorch rules with relu′(0) = ½ and 1), and {@code tape-random} (random mode,
     * seed 1).
     */
    public static List<TapeBackend> variants() {
        return List.of(create(),
                builder().name("tape-relu0.5").rules(TapeRules.relu0(0.5)).build(),
                builder().name("tape-relu1").rules(TapeRules.relu0(1)).build(),
                builder().name("tape-random").randomKinks(1).build());
    }

    @Override public String name() { return name; }

    @Override public String version() { return VERSION; }

    @Override public Set<Precision> precisions() { return precisions; }

    /** Float32 for the 16-bit formats (matmul, sum, mean and the losses' reductions), else the precision itself. */
    @Override public Precision accumulation(Precision precision) { return precision.accumulation(); }

    @Override public Set<Op> supportedOps() { return Collections.unmodifiableSet(EnumSet.allOf(Op.class)); }

    @Override public String description() {
        return "built-in reverse-mode tape AD (pure Java); kinks: " + (random
                ? "random |.| slope c in {-1,+1} per zero switch (seed " + seed + ")"
                : rules.equals(TapeRules.PYTORCH) ? "PyTorch rules" : rules.describe());
    }

    /** The fixed kink rules (ignored at zero switches in random mode). */
    public TapeRules rules() { return rules; }

    /** The seed of random kink mode, or empty when the rules are fixed. */
    public OptionalLong randomSeed() { return random ? OptionalLong.of(seed) : OptionalLong.empty(); }

    /** Whether this backend picks a random slope per zero switch. */
    public boolean randomKinks() { return random; }

    /**
     * {@inheritDoc}
     *
     * @throws BackendException for a precision this instance was not built for
     * @throws IllegalArgumentException when the point lacks a tensor of the procedure or has a wrong size
     *                                  (check it with {@link Point#check} first)
     */
    @Override public Evaluation evaluate(Procedure procedure, Point point, Precision precision) throws BackendException {
        Objects.requireNonNull(procedure);
        Objects.requireNonNull(point);
        if (!precisions.contains(precision))
            throw new BackendException("backend " + name + " does not support precision " + precision
                    + " (supported: " + precisions + ")");
        Compiled c = COMPILED.computeIfAbsent(procedure, Compiled::new);
        SplittableRandom rnd = random ? new SplittableRandom(mix(seed, calls.getAndIncrement())) : null;
        if (precision != Precision.FLOAT64) {
            try {
                point.checkRepresentable(precision, "the point");
            } catch (org.abscert.spi.InvalidInputException e) {
                throw new BackendException("backend " + name + ": " + e.getMessage(), e);
            }
        }
        Tape tape = new Tape(procedure, c, precision, rules, rnd);
        return tape.run(name, precision, point);
    }

    /** A 64-bit mix (SplitMix64 finalizer) so that consecutive calls get unrelated generator states. */
    private static long mix(long seed, long call) {
        long z = seed * 0x9E3779B97F4A7C15L + call + 0x632BE59BD9B4E019L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    @Override public String toString() { return "TapeBackend[" + name + ", " + description() + "]"; }

    /** Configures a {@link TapeBackend}. */
    public static final class Builder {
        private String name = NAME;
        private TapeRules rules = TapeRules.PYTORCH;
        private boolean random;
        private long seed;
        private Set<Precision> precisions = EnumSet.allOf(Precision.class);

        private Builder() {}

        /** The backend's name as shown in reports and on the command line (default {@code tape}). */
        public Builder name(String name) {
            if (name == null || name.isBlank()) throw new IllegalArgumentException("name is empty");
            this.name = name;
            return this;
        }

        /** The derivative values at kinks (default {@link TapeRules#PYTORCH}). */
        public Builder rules(TapeRules rules) {
            this.rules = Objects.requireNonNull(rules);
            this.random = false;
            return this;
        }

        /** Random kink mode with the given seed (see the class comment); replaces fixed rules at kinks. */
        public Builder randomKinks(long seed) {
            this.random = true;
            this.seed = seed;
            return this;
        }

        /** Restricts the precisions this backend accepts (default: all four). */
        public Builder precisions(Precision first, Precision... more) {
            this.precisions = EnumSet.of(first, more);
            return this;
        }

        public TapeBackend build() { return new TapeBackend(this); }
    }
}
