package org.abscert.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SparkRunTest {
    @Test void localMastersGetRetriesOthersStayAsGiven() {
        assertEquals("local[1,4]", SparkRun.withRetries("local"));
        assertEquals("local[2,4]", SparkRun.withRetries("local[2]"));
        assertEquals("local[*,4]", SparkRun.withRetries("local[*]"));
        assertEquals("local[2,1]", SparkRun.withRetries("local[2,1]"));
        assertEquals("spark://h:7077", SparkRun.withRetries("spark://h:7077"));
    }

    @Test void anUnknownMasterIsRefusedBeforeSparkStarts() {
        var e = assertThrows(IllegalArgumentException.class, () -> SparkRun.start("nonsense://x"));
        assertTrue(e.getMessage().contains("unknown Spark master URL 'nonsense://x'"), e.getMessage());
    }
}
