package org.abscert.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.abscert.certifier.Certifier;
import org.abscert.experiments.Bifurcation;
import org.abscert.experiments.Bifurcation.Network;
import org.abscert.experiments.Bifurcation.Unit;
import org.abscert.experiments.BifurcationReport;
import org.abscert.experiments.BifurcationReport.Row;
import org.abscert.experiments.Progress;
import org.abscert.experiments.TrainingExperiment;
import org.abscert.spi.Precision;
import org.abscert.spi.data.Digits;
import org.abscert.tape.TapeBackend;
import org.abscert.tape.TapeRules;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A small sweep on an embedded {@code local[2]} Spark against the same sweep run in one thread. */
class SparkBifurcationTest {
    private static final List<Network> NETS = List.of(new Network(2, 16, 20), new Network(1, 8, 25));
    private static SparkRun spark;

    @BeforeAll static void start() { spark = SparkRun.start("local[2]"); }

    @AfterAll static void stop() { if (spark != null) spark.close(); }

    private static Bifurcation experiment(List<Precision> precisions, Bifurcation.Subject... subjects) {
        return new Bifurcation(new Bifurcation.Config("digits", TrainingExperiment.first(Digits.load(), 100), NETS, 3, 5,
                precisions, 2, false), List.of(subjects), Certifier.withDefaults(), Map.of());
    }

    private static Bifurcation.Subject[] tapeBothWays() {
        return new Bifurcation.Subject[] {
                new Bifurcation.Subject(TapeBackend.create(),
                        Optional.of(TapeBackend.builder().name("tape-relu1").rules(TapeRules.relu0(1)).build())),
                new Bifurcation.Subject(TapeBackend.create(), Optional.empty())};
    }

    /** Timing fields (row and experiment wall times) set to 0, and the note on where it ran left out. */
    static BifurcationReport comparable(BifurcationReport r) {
        var s = r.setup();
        var setup = new BifurcationReport.Setup(s.dataset(), s.examples(), s.features(), s.inits(), s.seed(), s.sweep(),
                s.init(), s.certifyLimit(), 0, s.certifiedCount());
        List<Row> rows = r.rows().stream().map(x -> new Row(x.network(), x.depth(), x.width(), x.batch(), x.backend(),
                x.precision(), x.relu1(), x.inits(), x.initsDiffering(), x.ciLow(), x.ciHigh(), x.batches(),
                x.batchesWithZeros(), x.batchesDiffering(), x.zeros(), x.reluEvaluations(), 0, x.error())).toList();
        return new BifurcationReport(setup, rows, r.differing(), r.published(),
                r.notes().stream().filter(n -> !n.startsWith("ran on Apache Spark")).toList());
    }

    @Test void sameSeedsGiveTheSameReportWithAndWithoutSparkWhateverThePartitioning() {
        List<Precision> all = List.of(Precision.values());
        BifurcationReport plain = experiment(all, tapeBothWays()).run(Progress.NONE);
        assertEquals(NETS.size() * 2 * all.size(), plain.rows().size());
        assertFalse(plain.differing().isEmpty(), "the sweep has differing mini-batches for the certifier");

        long[] steps = {0, -1};
        Progress counting = new Progress() {
            @Override public void begin(long total) { steps[1] = total; }
            @Override public void step(String label) { steps[0]++; }
            @Override public void end() {}
        };
        Bifurcation onSpark = experiment(all, tapeBothWays()).withRunner(new SparkBifurcation(spark.context()));
        counting.begin(onSpark.units());
        BifurcationReport perUnit = onSpark.run(counting);
        assertEquals(comparable(plain), comparable(perUnit));
        assertEquals(steps[1], steps[0], "the progress reaches every mini-batch of the sweep");
        assertTrue(perUnit.notes().stream().anyMatch(n -> n.startsWith("ran on Apache Spark 3.5")
                && n.contains("master local[2,4]") && n.contains(onSpark.workUnits().size() + " unit tasks")), perUnit.notes().toString());

        BifurcationReport threeTasks = experiment(all, tapeBothWays())
                .withRunner(new SparkBifurcation(spark.context(), 3, List.of())).run(Progress.NONE);
        assertEquals(comparable(plain), comparable(threeTasks));
    }

    @Test void aUnitFailingForItsOwnReasonBecomesARowWithTheReasonAndTheOthersRun() {
        // the driver's tape offers float64 only; the executors' "tape" offers every precision: its units refuse
        TapeBackend only64 = TapeBackend.builder().precisions(Precision.FLOAT64).build();
        TapeBackend unknown = TapeBackend.builder().name("tape-relu0.25").rules(TapeRules.relu0(0.25)).build();
        List<Precision> p = List.of(Precision.FLOAT64);
        Bifurcation.Subject good = new Bifurcation.Subject(TapeBackend.create(), Optional.empty());
        BifurcationReport plain = experiment(p, good).run(Progress.NONE);

        Bifurcation b = experiment(p, good, new Bifurcation.Subject(only64, Optional.empty()),
                new Bifurcation.Subject(TapeBackend.create(), Optional.of(unknown)));
        BifurcationReport r = b.withRunner(new SparkBifurcation(spark.context(), 0,
                List.of(new Unit(0, 0, Precision.FLOAT64, 7)))).run(Progress.NONE);
        assertEquals(NETS.size() * 3 + 1, r.rows().size(), r.rows().toString());
        Row outside = r.rows().get(1);
        assertEquals(0, outside.inits());
        assertEquals("initialisation 7 is outside 0..2", outside.error(), "a unit outside the sweep: a row of its own");
        List<Row> sweepRows = new java.util.ArrayList<>(r.rows());
        sweepRows.remove(1);
        for (Row row : sweepRows) {
            switch (sweepRows.indexOf(row) % 3) {
                case 0 -> {
                    assertEquals("", row.error(), "the good backend's rows ran");
                    assertEquals(3, row.inits(), "initialisation 7 is outside the sweep and is not counted");
                }
                case 1 -> {
                    assertEquals(0, row.inits());
                    assertTrue(row.error().contains("configured differently"), row.error());
                    assertTrue(row.error().contains("precisions [float64]"), row.error());
                }
                default -> {
                    assertEquals(0, row.inits());
                    assertTrue(row.error().startsWith("backend 'tape-relu0.25' is not available"), row.error());
                }
            }
        }
        List<Row> goodRows = sweepRows.stream().filter(x -> x.error().isEmpty()).toList();
        assertEquals(comparable(plain).rows(), comparable(new BifurcationReport(r.setup(), goodRows, List.of(), List.of(),
                List.of())).rows(), "the other units' rows are those of the plain run");
    }
}
