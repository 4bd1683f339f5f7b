package org.abscert.cli;

import static org.abscert.cli.CertifyCommandTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@code abscert bench} runs and prints its ratio rows (the numbers themselves are not checked here). */
class BenchCommandTest {

    @Test
    void quickRunPrintsEveryRatioRow() {
        var r = run("bench", "--quick", "--repetitions", "1", "--warmup", "0");
        assertEquals(0, r.code(), r::toString);
        for (String row : new String[] {"tape value+gradient", "(a) certify", "(b) certify exactly", "(c) repair"})
            assertTrue(r.out().lines().anyMatch(l -> l.startsWith(row)), () -> row + " missing in\n" + r.out());
        assertTrue(r.out().contains("active switches"), r.out());
    }

    @Test
    void tooFewKinksIsBadUsage() {
        run("bench", "--kinks", "0").assertBadInput("--kinks");
    }
}
