package org.abscert.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.abscert.spi.Precision;
import org.abscert.testkit.gen.Activation;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The knobs as README documents them: defaults, each system property, and one clear message per bad value. */
class KitOptionsTest {

    private static final Set<String> KEYS = Set.of(KitOptions.TRIES, KitOptions.SEED, KitOptions.FAMILIES, KitOptions.OPS,
            KitOptions.PRECISIONS, KitOptions.MIN_COVERAGE, KitOptions.MAGNITUDE);

    @AfterEach void clear() { KEYS.forEach(System::clearProperty); }

    private static KitOptions with(Map<String, String> props) {
        props.forEach(System::setProperty);
        return KitOptions.fromSystemProperties();
    }

    @Test
    void withoutPropertiesEveryFamilyRunsWithTheFixedSeed() {
        KitOptions o = KitOptions.fromSystemProperties();
        assertEquals(KitOptions.defaults(), o);
        assertEquals("20261127", o.seed());
        assertEquals(EnumSet.allOf(Family.class), o.families());
        assertEquals(EnumSet.allOf(Activation.class), o.activations());
        assertEquals(EnumSet.of(Precision.FLOAT32, Precision.FLOAT64), o.precisions());
        assertEquals(Optional.empty(), o.tries());
        assertEquals(3, o.magnitude());
    }

    @Test
    void everyPropertyIsRead() {
        KitOptions o = with(Map.of(KitOptions.TRIES, "7", KitOptions.SEED, "random", KitOptions.FAMILIES, "likq, agreement",
                KitOptions.OPS, "relu,max_of_two", KitOptions.PRECISIONS, "float64", KitOptions.MIN_COVERAGE, "0.9",
                KitOptions.MAGNITUDE, "0"));
        assertEquals(Optional.of(7), o.tries());
        assertEquals(KitOptions.RANDOM, o.seed());
        assertEquals(EnumSet.of(Family.LIKQ, Family.AGREEMENT), o.families());
        assertEquals(EnumSet.of(Activation.RELU, Activation.MAX_OF_TWO), o.activations());
        assertEquals(EnumSet.of(Precision.FLOAT64), o.precisions());
        assertEquals(0.9, o.minCoverage());
        assertEquals(0, o.magnitude());
    }

    @Test
    void aBadValueNamesThePropertyAndTheValue() {
        for (var bad : Map.of(KitOptions.TRIES, "0", KitOptions.SEED, "soon", KitOptions.FAMILIES, "likq,speed",
                KitOptions.OPS, "gelu", KitOptions.PRECISIONS, "float8", KitOptions.MIN_COVERAGE, "2",
                KitOptions.MAGNITUDE, "x").entrySet()) {
            clear();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> with(Map.of(bad.getKey(), bad.getValue())),
                    bad::toString);
            String value = bad.getValue().contains(",") ? "speed" : bad.getValue();
            assertTrue(e.getMessage().contains(value), e.getMessage());
            assertTrue(e.getMessage().contains(bad.getKey()), e.getMessage());
            assertTrue(e.getMessage().lines().count() == 1, e.getMessage());
        }
    }
}
