package org.abscert.cli;

import static org.abscert.cli.CertifyCommandTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.abscert.cli.report.ReportWriter;
import org.abscert.spi.Backends;
import org.abscert.spi.data.FashionMnist;
import org.abscert.spi.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code abscert compare --quick}: the report of every discovered backend, end to end with the real frameworks. */
class CompareCommandTest {

    @Test
    void quickRunOfAllBackendsWritesTheReportAndExitsZero(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("report");
        var r = run("compare", "--quick", "--out", out.toString());
        assertEquals(0, r.code(), r::toString);
        assertTrue(Files.isRegularFile(out.resolve(ReportWriter.HTML)));
        for (String csv : ReportWriter.CSV_FILES) assertTrue(Files.isRegularFile(out.resolve(csv)), csv);
        JsonNode j = Json.MAPPER.readTree(out.resolve(ReportWriter.JSON).toFile());
        assertEquals("abscert/compare@1", j.get("format").asText());

        // every discovered backend that started is trained in each precision it supports
        Set<String> started = new HashSet<>();
        for (JsonNode b : j.get("backends"))
            if (b.get("error").isNull() && !b.get("variant").asBoolean()) started.add(b.get("name").asText());
        assertTrue(started.contains("tape"), started.toString());
        assertTrue(started.size() + unavailable(j) >= Backends.names().size(), "every provider is listed");
        Set<String> trained = new HashSet<>();
        int steps = -1;
        for (JsonNode t : j.get("training")) {
            trained.add(t.get("backend").asText());
            if (steps < 0) steps = t.get("steps").size();
            if (t.get("error").isNull()) assertEquals(steps, t.get("steps").size(), "same number of steps on every backend");
        }
        assertEquals(started, trained);
        assertEquals(CompareCommand.QUICK_TRAIN / 32, steps);

        // every backend starts from the same parameters: the first mini-batch loss agrees across backends
        List<Double> first = new ArrayList<>();
        for (JsonNode t : j.get("training"))
            if (t.get("precision").asText().equals("float64") && t.get("steps").size() > 0)
                first.add(t.get("steps").get(0).get("loss").asDouble());
        for (double v : first) assertEquals(first.get(0), v, 1e-9, "step-0 loss of every float64 run: " + first);

        // part 2: the six THEORY.md vectors and the quick kink-forced nets, in both precisions
        assertEquals(2 * (6 + CompareCommand.QUICK_NETS), j.get("cases").size());
        // part 4: the tape is its own reference
        for (JsonNode t : j.get("timing"))
            if (t.get("backend").asText().equals("tape")) assertEquals(1.0, t.get("gradientRatio").asDouble(), 1e-12);

        // part 2 verdicts, from THEORY.md §10: with relu′(0) = 0 (the tape, PyTorch) relu(x) − relu(−x) at 0 is
        // refuted and every other vector is certified; the kink-forced nets have biases, so LIKQ (one sample) or
        // the grouped condition (duplicated sample) certifies a deterministic backend
        for (String backend : List.of("tape", "djl-pytorch")) {
            if (!started.contains(backend)) continue;
            for (JsonNode c : j.get("cases"))
                for (JsonNode o : c.get("outcomes")) {
                    if (!o.get("backend").asText().equals(backend)) continue;
                    String want = c.get("id").asText().equals("relu-difference") ? "REFUTED" : "CERTIFIED";
                    assertEquals(want, o.get("outcome").asText(), backend + " on " + c.get("id").asText() + " ("
                            + c.get("precision").asText() + "): " + o);
                }
        }
        assertTrue(started.contains("djl-pytorch"), "PyTorch is on the class path of this build: " + started);

        // the contrast rule of the published code: the probe sees relu'(0)=1 but no chain rule
        boolean constantSeen = false;
        for (JsonNode p : j.get("probes"))
            if (p.get("backend").asText().equals("tape-constant1")) {
                constantSeen = true;
                assertFalse(p.get("absConsistent").asBoolean(), p.toString());
            }
        assertTrue(constantSeen, "tape-constant1 is probed as a contrast");
        // part 5 on the default bifurcation backends, every precision they offer
        Set<String> bifurcated = new HashSet<>();
        for (JsonNode row : j.get("bifurcation").get("rows")) {
            bifurcated.add(row.get("backend").asText());
            assertEquals(1, row.get("inits").asInt(), row.toString());
            assertEquals(CompareCommand.QUICK_BIFURCATION_EXAMPLES / 100, row.get("batches").asInt(), row.toString());
        }
        assertEquals(Set.of("tape", "djl-pytorch"), bifurcated);
        // parts 6 and 7 on the default CNN backends: the tape with three tie rules, djl-pytorch with its own
        Set<String> pooled = new HashSet<>();
        for (JsonNode row : j.get("maxPool").get("rows")) {
            pooled.add(row.get("backend").asText());
            assertEquals(row.get("backend").asText().equals("tape") ? 3 : 1, row.get("rules").size(), row.toString());
        }
        assertEquals(Set.of("tape", "djl-pytorch"), pooled);
        Set<String> tracked = new HashSet<>();
        for (JsonNode run : j.get("trainingTrack").get("runs")) tracked.add(run.get("backend").asText() + " " + run.get("precision").asText());
        // djl-pytorch has no bfloat16 (PyTorch's CPU build aborts on it)
        assertEquals(Set.of("tape float32", "tape bfloat16", "djl-pytorch float32"), tracked);

        assertTrue(r.out().contains("tape") && r.out().contains("Report: "), r.out());
        assertFalse(r.out().contains("Added differentiated op"), "SameDiff's chatter stays off the summary: " + r.out());
        String html = Files.readString(out.resolve(ReportWriter.HTML));
        assertFalse(html.contains("<script"));
    }

    private static int unavailable(JsonNode j) {
        int n = 0;
        for (JsonNode b : j.get("backends")) if (!b.get("error").isNull()) n++;
        return n;
    }

    @Test
    void theBifurcationExperimentRunsAloneOnEveryPrecisionOfTheTape(@TempDir Path dir) throws Exception {
        var r = run("compare", "--experiment", "bifurcation", "--quick", "--backend", "tape", "--out", dir.toString());
        assertEquals(0, r.code(), r::toString);
        JsonNode j = Json.MAPPER.readTree(dir.resolve(ReportWriter.JSON).toFile());
        assertEquals(0, j.get("probes").size(), "parts 1-4 are skipped");
        assertEquals(0, j.get("training").size());
        JsonNode rows = j.get("bifurcation").get("rows");
        assertEquals(org.abscert.spi.Precision.values().length, rows.size(), "one row per precision the tape offers");
        for (JsonNode row : rows) {
            assertEquals("configured", row.get("relu1").asText());
            assertTrue(row.get("error").isNull(), row.toString());
            assertTrue(row.get("batchesDiffering").asInt() <= row.get("batchesWithZeros").asInt(), row.toString());
        }
        String html = Files.readString(dir.resolve(ReportWriter.HTML));
        assertTrue(html.contains("<section id='bifurcation'>") && !html.contains("<section id='rules'>"));
        assertTrue(r.out().contains("relu'(0) bifurcation"), r.out());
    }

    @Test
    void badBifurcationOptionsExitTwoWithOneLine(@TempDir Path dir) throws Exception {
        for (String[] args : List.of(new String[] {"--experiment", "nosuch"}, new String[] {"--inits", "0"},
                new String[] {"--examples", "10"}, new String[] {"--bifurcation-backend", "no-such-backend"})) {
            List<String> all = new ArrayList<>(List.of("compare", "--quick", "--backend", "tape", "--out", dir.toString()));
            all.addAll(List.of(args));
            var r = run(all.toArray(String[]::new));
            assertEquals(2, r.code(), String.join(" ", args) + ": " + r);
            assertEquals(1, r.err().strip().lines().count(), r.err());
        }
    }

    @Test
    void theMaxPoolExperimentRunsAloneWithTheTapesThreeTieRules(@TempDir Path dir) throws Exception {
        var r = run("compare", "--experiment", "maxpool", "--quick", "--backend", "tape", "--out", dir.toString());
        assertEquals(0, r.code(), r::toString);
        JsonNode j = Json.MAPPER.readTree(dir.resolve(ReportWriter.JSON).toFile());
        assertEquals(0, j.get("probes").size(), "parts 1-4 are skipped");
        assertTrue(j.get("bifurcation").isNull() && j.get("trainingTrack").isNull(), "only part 6 runs");
        JsonNode rows = j.get("maxPool").get("rows");
        assertEquals(org.abscert.spi.Precision.values().length, rows.size(), "one row per precision the tape offers");
        int judged = 0;
        for (JsonNode row : rows) {
            assertTrue(row.get("error").isNull(), row.toString());
            List<String> rules = new ArrayList<>();
            for (JsonNode rule : row.get("rules")) {
                rules.add(rule.get("rule").asText());
                assertTrue(rule.get("batchesDiffering").asLong() <= row.get("batchesWithTies").asLong(), row.toString());
            }
            assertEquals(List.of("first cell", "even split", "all cells"), rules);
            assertTrue(row.get("ties").asLong() <= row.get("poolComparisons").asLong(), row.toString());
        }
        for (JsonNode b : j.get("maxPool").get("judgedBatches")) {
            judged++;
            assertEquals(3, b.get("verdicts").size());
        }
        // the tallies count every judged mini-batch once per rule
        for (var e : j.get("maxPool").get("tallies").properties()) {
            int sum = 0;
            for (JsonNode n : e.getValue()) sum += n.asInt();
            assertEquals(judged, sum, e.getKey());
        }
        List<String> csv = Files.readAllLines(dir.resolve("maxpool.csv"));
        assertTrue(csv.get(0).startsWith("network,pool,backend,precision,rule,"), csv.get(0));
        assertEquals(1 + 3 * rows.size(), csv.size(), "one line per row and rule");
        assertEquals(1 + 3 * judged, Files.readAllLines(dir.resolve("maxpool-batches.csv")).size());
        String html = Files.readString(dir.resolve(ReportWriter.HTML));
        assertTrue(html.contains("<section id='maxpool'>") && !html.contains("<section id='rules'>"));
        assertTrue(r.out().contains("max-pool tie rules"), r.out());
    }

    @Test
    void theTrainingTrackTrainsTheMlpAndTheCnnInFloat32AndBfloat16(@TempDir Path dir) throws Exception {
        var r = run("compare", "--experiment", "track", "--quick", "--backend", "tape", "--out", dir.toString());
        assertEquals(0, r.code(), r::toString);
        JsonNode j = Json.MAPPER.readTree(dir.resolve(ReportWriter.JSON).toFile());
        Set<String> runs = new HashSet<>();
        for (JsonNode run : j.get("trainingTrack").get("runs")) {
            runs.add(run.get("model").asText() + " " + run.get("precision").asText());
            assertTrue(run.get("error").isNull(), run.toString());
            assertEquals(2, run.get("accuracy").size(), "before training and after the one quick epoch");
            for (JsonNode st : run.get("steps")) assertFalse(st.get("verdict").asText().equals("NOT_JUDGED"), "quick: every step judged");
            if (run.get("model").asText().equals("mlp")) assertEquals(0, run.get("poolTies").asLong(), "no pooling in the MLP");
        }
        assertEquals(Set.of("mlp float32", "mlp bfloat16", "cnn float32", "cnn bfloat16"), runs);
        List<String> steps = Files.readAllLines(dir.resolve("track-steps.csv"));
        assertTrue(steps.get(0).startsWith("model,backend,precision,step,"), steps.get(0));
        assertEquals(1 + 4 * (CompareCommand.QUICK_CNN_EXAMPLES / CompareCommand.CNN_BATCH), steps.size());
        assertTrue(Files.readString(dir.resolve(ReportWriter.HTML)).contains("<section id='track'>"));
    }

    @Test
    void badMaxPoolAndTrackOptionsExitTwoWithOneLine(@TempDir Path dir) throws Exception {
        for (String[] args : List.of(new String[] {"--maxpool-inits", "0"}, new String[] {"--maxpool-examples", "10"},
                new String[] {"--track-examples", "-1"}, new String[] {"--track-epochs", "0"},
                new String[] {"--certify-deadline", "0"}, new String[] {"--certify-deadline", "NaN"},
                new String[] {"--cnn-backend", "no-such-backend"})) {
            List<String> all = new ArrayList<>(List.of("compare", "--quick", "--experiment", "maxpool", "--backend", "tape",
                    "--out", dir.toString()));
            all.addAll(List.of(args));
            var r = run(all.toArray(String[]::new));
            assertEquals(2, r.code(), String.join(" ", args) + ": " + r);
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().contains(args[0]), r.err());
        }
    }

    @Test
    void onlyTheNamedBackendIsCompared(@TempDir Path dir) throws Exception {
        var r = run("compare", "--quick", "--backend", "tape", "--out", dir.toString());
        assertEquals(0, r.code(), r::toString);
        JsonNode j = Json.MAPPER.readTree(dir.resolve(ReportWriter.JSON).toFile());
        for (JsonNode t : j.get("training")) assertEquals("tape", t.get("backend").asText());
        assertEquals(2, j.get("training").size());
        assertEquals(2, j.get("reluSensitivity").size(), "relu′(0) sensitivity in float32 and float64");
    }

    @Test
    void theSeedChoosesTheInitialParametersAndIsRecorded(@TempDir Path dir) throws Exception {
        double[] firstLoss = new double[2];
        long[] seeds = {7, 8};
        for (int k = 0; k < 2; k++) {
            Path out = dir.resolve("seed" + seeds[k]);
            var r = run("compare", "--quick", "--backend", "tape", "--seed", Long.toString(seeds[k]), "--out", out.toString());
            assertEquals(0, r.code(), r::toString);
            JsonNode j = Json.MAPPER.readTree(out.resolve(ReportWriter.JSON).toFile());
            assertEquals(seeds[k], j.get("setup").get("seed").asLong());
            for (JsonNode t : j.get("training"))
                if (t.get("precision").asText().equals("float64")) firstLoss[k] = t.get("steps").get(0).get("loss").asDouble();
        }
        // another seed draws other parameters and mini-batches, so training starts from another loss
        assertNotEquals(firstLoss[0], firstLoss[1], "step-0 loss with seeds 7 and 8");
    }

    @Test
    void unknownDatasetIsBadInputInOneLine(@TempDir Path dir) {
        run("compare", "--quick", "--dataset", "cifar", "--out", dir.toString()).assertBadInput("cifar");
    }

    @Test
    void unknownBackendIsBadInput(@TempDir Path dir) {
        run("compare", "--quick", "--backend", "nosuch", "--out", dir.toString()).assertBadInput("nosuch");
    }

    @Test
    void fashionMnistIsUsedWhenInstalledAndNamedWithTheDebianPackageWhenNot(@TempDir Path dir) throws Exception {
        var r = run("compare", "--quick", "--dataset", "fashion-mnist", "--backend", "tape", "--out", dir.toString());
        if (!FashionMnist.installed()) {
            r.assertBadInput("dataset-fashion-mnist");
            return;
        }
        assertEquals(0, r.code(), r::toString);
        JsonNode setup = Json.MAPPER.readTree(dir.resolve(ReportWriter.JSON).toFile()).get("setup");
        assertEquals("fashion-mnist", setup.get("dataset").asText());
        assertEquals(784, setup.get("widths").get(0).asInt());
    }

    @Test
    void anOutputPathThatIsAFileIsBadInput(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("taken"), "x");
        run("compare", "--quick", "--backend", "tape", "--out", file.toString()).assertBadInput("taken");
    }
}
