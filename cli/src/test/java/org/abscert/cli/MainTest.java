package org.abscert.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The top-level command: usage, version, and one-line usage errors. */
class MainTest {

    @Test
    void withoutArgumentsPrintsUsageOnStderrAndExitsTwo() {
        CliRun r = CliRun.of();
        assertEquals(2, r.exit());
        assertEquals("", r.out());
        assertTrue(r.err().startsWith("Usage: abscert"), r.err());
        assertTrue(r.err().contains("eval"), r.err());
    }

    @Test
    void helpNamesTheInputLimits() {
        CliRun r = CliRun.of("--help");
        assertEquals(0, r.exit());
        assertTrue(r.out().contains("Limits"), r.out());
        assertTrue(r.out().contains(String.valueOf(org.abscert.spi.ir.Procedure.MAX_NODES)), r.out());
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
