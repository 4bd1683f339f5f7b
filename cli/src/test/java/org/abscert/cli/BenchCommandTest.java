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
    void cnnRowsReportReluKinksAndPoolingTies() {
        var r = run("bench", "--model", "cnn", "--repetitions", "1", "--warmup", "0");
        assertEquals(0, r.code(), r::toString);
        for (String row : new String[] {"cnn: tape value+gradient, float32", "(d) cnn: certify per step", "(e) cnn: certify exactly",
                "(f) cnn: repair"})
            assertTrue(r.out().lines().anyMatch(l -> l.startsWith(row)), () -> row + " missing in\n" + r.out());
        // the kink batch forces at least 64 ReLU kinks and 16 pooling ties (issue 12's benchmark case)
        var m = java.util.regex.Pattern.compile("(\\d+) ReLU kinks, (\\d+) pooling ties").matcher(
                r.out().lines().filter(l -> l.startsWith("(e)")).findFirst().orElse(""));
        assertTrue(m.find(), r.out());
        assertTrue(Integer.parseInt(m.group(1)) >= 64 && Integer.parseInt(m.group(2)) >= 16, r.out());
    }

    /**
     * {@code --listeners} on the MLP, a few steps: every configuration of both frameworks, with the median and the mean
     * listener time per step and their ratios to the plain step (the mean over every step of the run, FULL included).
     */
    @Test
    void listenerRowsGiveMedianAndMeanCosts() throws Exception {
        var r = run("bench", "--listeners", "--model", "mlp", "--warmup", "2", "--repetitions", "3", "--format", "json");
        assertEquals(0, r.code(), r::toString);
        var rows = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.out()).get("rows");
        assertEquals(7, rows.size(), r.out());
        // DJL's FAST rows: the default (overlap on or off, as PyTorch's threads leave a core idle or not) and the other one
        assertEquals(2, countConfigurations(rows, "(default)"), r.out());
        assertTrue(countConfigurations(rows, "overlap on") >= 1 && countConfigurations(rows, "overlap off") >= 1, r.out());
        for (var row : rows) {
            double step = row.get("medianStepMillis").asDouble(), mean = row.get("meanListenerMillis").asDouble();
            assertTrue(step > 0 && mean > 0 && Double.isFinite(mean), row.toString());
            assertEquals(mean / step, row.get("meanRatio").asDouble(), 1e-9 * mean / step, row.toString());
            assertEquals(row.get("medianListenerMillis").asDouble() / step, row.get("ratio").asDouble(), 1e-9, row.toString());
        }
    }

    /**
     * {@code --listeners --model cnn}, a few steps: the LeNet rows of both frameworks, DJL's row checked on the training
     * thread alone when the default splits the check over threads, and DJL's asynchronous rows, timed in blocks, with
     * the checks' own time on the listener's thread and every step of the run checked.
     */
    @Test
    void cnnListenerRowsIncludeTheAsynchronousChecks() throws Exception {
        var r = run("bench", "--listeners", "--model", "cnn", "--warmup", "1", "--repetitions", "2", "--format", "json");
        assertEquals(0, r.code(), r::toString);
        var rows = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.out()).get("rows");
        assertEquals(9, rows.size(), r.out());
        // the DJL LeNet with the overlap on and off, one of them its default
        assertTrue(countConfigurations(rows, "overlap on") >= 1 && countConfigurations(rows, "overlap off") >= 1, r.out());
        int asynchronous = 0;
        for (var row : rows) {
            boolean async = row.get("configuration").asText().contains("asynchronous");
            assertEquals(async, row.has("medianAsynchronousCheckMillis"), row.toString());
            if (!async) continue;
            asynchronous++;
            assertTrue(row.get("medianAsynchronousCheckMillis").asDouble() > 0, row.toString());
            int steps = 1 + 2 * ListenerBench.BLOCK;
            assertTrue(row.get("outcome").asText().contains("/" + steps + " certified"), row.toString());
        }
        assertEquals(2, asynchronous, r.out());
    }

    private static int countConfigurations(com.fasterxml.jackson.databind.JsonNode rows, String part) {
        int n = 0;
        for (var row : rows) if (row.get("configuration").asText().contains(part)) n++;
        return n;
    }

    @Test
    void unknownModelIsBadUsage() {
        run("bench", "--model", "resnet").assertBadInput("--model");
    }

    @Test
    void tooFewKinksIsBadUsage() {
        run("bench", "--kinks", "0").assertBadInput("--kinks");
    }
}
