package org.abscert.testkit;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.abscert.spi.Precision;
import org.abscert.testkit.gen.Activation;

/**
 * The knobs of a kit run. {@link #fromSystemProperties()} reads them from the command line, so that
 * {@code mvn test -Dabscert.tries=1000 -Dabscert.seed=random} needs no code; a test class may override
 * {@link BackendUnderTest#options()} to fix some of them in code.
 *
 * <ul>
 *   <li>{@code abscert.tries=N} — tries of every property (default: each property's own, a few hundred at most).</li>
 *   <li>{@code abscert.seed=S} — the seed of every property; {@code random} lets jqwik draw a new one per
 *       property and run. Default {@link #DEFAULT_SEED}, so a build judges the same cases on every machine.</li>
 *   <li>{@code abscert.families=likq,grouped,…} — the property families to run (default all, see {@link Family}).</li>
 *   <li>{@code abscert.ops=relu,abs,…} — the activations generated nets may use ({@link Activation#key()};
 *       default all). Ops the backend declares unsupported are left out in any case, and said so.</li>
 *   <li>{@code abscert.precisions=float32,float64} — the precisions run (default: float32 and float64, as far as
 *       the backend offers them).</li>
 *   <li>{@code abscert.magnitude=E} — generated values reach ±2^E in the families that scale them
 *       (default {@link #DEFAULT_MAGNITUDE}; 0 keeps every value in [−1, 1]).</li>
 *   <li>{@code abscert.minCoverage=F} — the least fraction of generated cases a backend must run for a property
 *       to pass (default {@link #DEFAULT_MIN_COVERAGE}); running none of them reports the property skipped.</li>
 * </ul>
 *
 * @param tries       tries per property, or empty for each property's own
 * @param seed        a fixed seed, or {@code random}
 * @param families    the families to run
 * @param activations the activations generated nets may use
 * @param precisions  the precisions to run, where the backend offers them
 * @param minCoverage least fraction of generated cases that must be judged
 * @param magnitude   generated weights, biases and inputs reach ±2^magnitude (times their base range)
 */
public record KitOptions(Optional<Integer> tries, String seed, Set<Family> families, Set<Activation> activations,
                         Set<Precision> precisions, double minCoverage, int magnitude) {

    public static final String TRIES = "abscert.tries";
    public static final String SEED = "abscert.seed";
    public static final String FAMILIES = "abscert.families";
    public static final String OPS = "abscert.ops";
    public static final String PRECISIONS = "abscert.precisions";
    public static final String MIN_COVERAGE = "abscert.minCoverage";
    public static final String MAGNITUDE = "abscert.magnitude";
    /** Values up to ±8: sums that no longer fit the [−1, 1] habits of a backend, still exact in float32. */
    public static final int DEFAULT_MAGNITUDE = 3;

    /** The seed of a regular build. */
    public static final String DEFAULT_SEED = "20261127";
    /** The seed value that asks for a fresh seed per property and run. */
    public static final String RANDOM = "random";
    /**
     * Half the generated cases: the generators only draw activations the backend declares supported, so a
     * backend that still rejects most cases has structural limits the suite would otherwise not see past.
     */
    public static final double DEFAULT_MIN_COVERAGE = 0.5;

    public KitOptions {
        families = families.isEmpty() ? EnumSet.noneOf(Family.class) : EnumSet.copyOf(families);
        activations = activations.isEmpty() ? EnumSet.noneOf(Activation.class) : EnumSet.copyOf(activations);
        precisions = precisions.isEmpty() ? EnumSet.noneOf(Precision.class) : EnumSet.copyOf(precisions);
        if (!(minCoverage >= 0 && minCoverage <= 1))
            throw new IllegalArgumentException(MIN_COVERAGE + " must lie in [0, 1], got " + minCoverage);
        if (magnitude < 0 || magnitude > 8) throw new IllegalArgumentException(MAGNITUDE + " must lie in [0, 8], got " + magnitude);
    }

    /** Every family and activation, float32 and float64, the fixed seed, each property's own tries. */
    public static KitOptions defaults() {
        return new KitOptions(Optional.empty(), DEFAULT_SEED, EnumSet.allOf(Family.class), EnumSet.allOf(Activation.class),
                EnumSet.of(Precision.FLOAT32, Precision.FLOAT64), DEFAULT_MIN_COVERAGE, DEFAULT_MAGNITUDE);
    }

    /**
     * The defaults overridden by the {@code abscert.*} system properties. A malformed value throws
     * IllegalArgumentException naming the property, which fails every property of the run.
     */
    public static KitOptions fromSystemProperties() {
        KitOptions d = defaults();
        Optional<Integer> tries = Optional.ofNullable(System.getProperty(TRIES)).filter(s -> !s.isBlank()).map(s -> {
            try {
                int n = Integer.parseInt(s.trim());
                if (n <= 0) throw new NumberFormatException();
                return n;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(TRIES + " must be a positive integer, got '" + s + "'");
            }
        });
        String seed = Optional.ofNullable(System.getProperty(SEED)).filter(s -> !s.isBlank()).map(String::trim).orElse(d.seed);
        if (!seed.equals(RANDOM) && !seed.matches("-?\\d+"))
            throw new IllegalArgumentException(SEED + " must be an integer or 'random', got '" + seed + "'");
        Set<Family> families = list(FAMILIES).map(l -> l.stream().map(named(FAMILIES, Family::parse))
                .collect(Collectors.toCollection(() -> EnumSet.noneOf(Family.class)))).orElse(EnumSet.copyOf(d.families));
        Set<Activation> acts = list(OPS).map(l -> l.stream().map(named(OPS, Activation::parse))
                .collect(Collectors.toCollection(() -> EnumSet.noneOf(Activation.class)))).orElse(EnumSet.copyOf(d.activations));
        Set<Precision> precisions = list(PRECISIONS).map(l -> l.stream().map(KitOptions::precision)
                .collect(Collectors.toCollection(() -> EnumSet.noneOf(Precision.class)))).orElse(EnumSet.copyOf(d.precisions));
        double min = Optional.ofNullable(System.getProperty(MIN_COVERAGE)).filter(s -> !s.isBlank()).map(s -> {
            try {
                return Double.parseDouble(s.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(MIN_COVERAGE + " must be a number in [0, 1], got '" + s + "'");
            }
        }).orElse(d.minCoverage);
        int magnitude = Optional.ofNullable(System.getProperty(MAGNITUDE)).filter(s -> !s.isBlank()).map(s -> {
            try {
                return Integer.parseInt(s.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(MAGNITUDE + " must be an integer in [0, 8], got '" + s + "'");
            }
        }).orElse(d.magnitude);
        return new KitOptions(tries, seed, families, acts, precisions, min, magnitude);
    }

    /** The parser, with its message prefixed by the system property it read. */
    private static <T> java.util.function.Function<String, T> named(String property, java.util.function.Function<String, T> parse) {
        return v -> {
            try {
                return parse.apply(v);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(property + ": " + e.getMessage(), e);
            }
        };
    }

    private static Optional<List<String>> list(String property) {
        return Optional.ofNullable(System.getProperty(property)).filter(s -> !s.isBlank())
                .map(s -> Arrays.stream(s.split(",")).map(String::trim).filter(t -> !t.isEmpty()).toList());
    }

    private static Precision precision(String s) {
        try {
            return Precision.parse(s.toLowerCase(Locale.ROOT));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(PRECISIONS + ": unknown precision '" + s + "' (known: "
                    + Arrays.stream(Precision.values()).map(Precision::label).collect(Collectors.joining(", ")) + ")");
        }
    }

    /** These options with N tries per property. */
    public KitOptions withTries(int n) { return new KitOptions(Optional.of(n), seed, families, activations, precisions, minCoverage, magnitude); }

    /** These options with a fixed seed, or {@code random}. */
    public KitOptions withSeed(String s) { return new KitOptions(tries, s, families, activations, precisions, minCoverage, magnitude); }

    /** These options running only the given families. */
    public KitOptions onlyFamilies(Family... fs) {
        return new KitOptions(tries, seed, Set.of(fs), activations, precisions, minCoverage, magnitude);
    }

    /** These options generating only the given activations. */
    public KitOptions onlyActivations(Activation... as) {
        return new KitOptions(tries, seed, families, Set.of(as), precisions, minCoverage, magnitude);
    }

    /** These options running only the given precisions. */
    public KitOptions onlyPrecisions(Precision... ps) {
        return new KitOptions(tries, seed, families, activations, Set.of(ps), minCoverage, magnitude);
    }

    /** These options with another minimum coverage. */
    public KitOptions withMinCoverage(double f) { return new KitOptions(tries, seed, families, activations, precisions, f, magnitude); }

    /** These options with generated values up to ±2^e. */
    public KitOptions withMagnitude(int e) { return new KitOptions(tries, seed, families, activations, precisions, minCoverage, e); }
}
