package org.abscert.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The top-level command: usage, version, and one-line usage errors. */
class MainTest {

    @Test
    void withoutArgumentsPrintsUsageAndSucceeds() {
        CliRun r = CliRun.of();
        assertEquals(0, r.exit());
        assertTrue(r.out().startsWith("Usage: abscert"), r.out());
        assertTrue(r.out().contains("eval"), r.out());
    }

    @Test
    void versionIsPrinted() {
        CliRun r = CliRun.of("--version");
        assertEquals(0, r.exit());
        assertTrue(r.out().startsWith("abscert "), r.out());
    }

    @Test
    void unknownCommandIsOneLineAndExitTwo() {
        CliRun r = CliRun.of("frobnicate");
        assertEquals(2, r.exit());
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.errLines().get(0).startsWith("abscert: "), r.err());
        assertTrue(r.errLines().get(0).contains("frobnicate"), r.err());
    }

    @Test
    void oneLineJoinsMultiLineMessages() {
        assertEquals("a b c", Main.oneLine(" a\n  b\r\nc \n"));
    }
}
