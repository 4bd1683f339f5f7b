package org.abscert.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.abscert.certifier.Certifier;
import org.abscert.experiments.Bifurcation.Network;
import org.abscert.experiments.Bifurcation.Unit;
import org.abscert.experiments.Bifurcation.UnitResult;
import org.abscert.experiments.BifurcationReport.Row;
import org.abscert.spi.Precision;
import org.abscert.spi.data.Digits;
import org.abscert.tape.TapeBackend;
import org.abscert.tape.TapeRules;
import org.junit.jupiter.api.Test;

/** The sweep cut into units (one initialisation each) and merged gives the report of the plain run. */
class BifurcationUnitsTest {
    private static final Network SMALL = new Network(2, 16, 20);
    private static final TapeBackend TAPE = TapeBackend.create();
    private static final TapeBackend TAPE_RELU1 = TapeBackend.builder().name("tape-relu1").rules(TapeRules.relu0(1)).build();

    private static Bifurcation experiment(int inits, int certifyLimit, List<Precision> precisions, Bifurcation.Subject... subjects) {
        return new Bifurcation(new Bifurcation.Config("digits", TrainingExperiment.first(Digits.load(), 100), List.of(SMALL),
                inits, 3, precisions, certifyLimit, false), List.of(subjects), Certifier.withDefaults(), Map.of());
    }

    /** The report with its timing fields (row and experiment wall times) set to 0. */
    static BifurcationReport withoutTiming(BifurcationReport r) {
        var s = r.setup();
        var setup = new BifurcationReport.Setup(s.dataset(), s.examples(), s.features(), s.inits(), s.seed(), s.sweep(),
                s.init(), s.certifyLimit(), 0, s.certifiedCount());
        List<Row> rows = r.rows().stream().map(x -> new Row(x.network(), x.depth(), x.width(), x.batch(), x.backend(),
                x.precision(), x.relu1(), x.inits(), x.initsDiffering(), x.ciLow(), x.ciHigh(), x.batches(),
                x.batchesWithZeros(), x.batchesDiffering(), x.zeros(), x.reluEvaluations(), 0, x.error())).toList();
        return new BifurcationReport(setup, rows, r.differing(), r.published(), r.notes());
    }

    /** Forced kinks: every mini-batch differs, so the certifier's limit per row and its note come into play. */
    @Test void shuffledUnitsMergeIntoThePlainReport() {
        Bifurcation plain = experiment(3, 4, List.of(Precision.FLOAT64, Precision.FLOAT32),
                new Bifurcation.Subject(TAPE, Optional.of(TAPE_RELU1)), new Bifurcation.Subject(TAPE, Optional.empty()));
        plain.withInitialisation((n, init) -> neuronAtKink(plain, n, init));
        BifurcationReport expected = plain.run(Progress.NONE);
        assertTrue(expected.differing().size() >= 8, "forced kinks give differing mini-batches: " + expected.differing().size());
        assertTrue(expected.notes().stream().anyMatch(s -> s.contains("the certifier judged the first 4")), expected.notes().toString());

        Bifurcation units = experiment(3, 4, List.of(Precision.FLOAT64, Precision.FLOAT32),
                new Bifurcation.Subject(TAPE, Optional.of(TAPE_RELU1)), new Bifurcation.Subject(TAPE, Optional.empty()));
        units.withInitialisation((n, init) -> neuronAtKink(units, n, init));
        List<Unit> work = new ArrayList<>(units.workUnits());
        assertEquals(2 * 2 * 3, work.size(), "networks × subjects × precisions × inits");
        Collections.shuffle(work, new Random(11));
        List<UnitResult> results = new ArrayList<>();
        for (Unit u : work) results.add(units.runUnit(u));
        var judged = units.toJudge(results).stream().map(units::judge).toList();
        BifurcationReport merged = units.merge(results, judged, 0, List.of());
        assertEquals(withoutTiming(expected), withoutTiming(merged));
    }

    @Test void naturalRunInEveryPrecisionMergesIntoThePlainReport() {
        Bifurcation.Subject s = new Bifurcation.Subject(TAPE, Optional.of(TAPE_RELU1));
        BifurcationReport expected = experiment(2, 2, List.of(Precision.values()), s).run(Progress.NONE);
        BifurcationReport merged = experiment(2, 2, List.of(Precision.values()), s).runByUnits(Progress.NONE);
        assertEquals(Precision.values().length, merged.rows().size());
        assertEquals(withoutTiming(expected), withoutTiming(merged));
    }

    @Test void aUnitInAPrecisionTheBackendDoesNotOfferBecomesARowWithTheReason() {
        TapeBackend only64 = TapeBackend.builder().precisions(Precision.FLOAT64).build();
        Bifurcation b = experiment(2, 2, List.of(Precision.FLOAT64, Precision.FLOAT32), new Bifurcation.Subject(only64, Optional.empty()));
        List<Unit> work = new ArrayList<>(b.workUnits());
        assertTrue(work.stream().allMatch(u -> u.precision() == Precision.FLOAT64), "the sweep asks only what the backend offers");
        work.add(new Unit(0, 0, Precision.FLOAT32, 0));
        work.add(new Unit(0, 5, Precision.FLOAT64, 0));
        work.add(new Unit(0, 0, Precision.FLOAT64, 9));
        List<UnitResult> results = work.stream().map(b::runUnit).toList();
        BifurcationReport r = b.merge(results, b.toJudge(results).stream().map(b::judge).toList(), 0, List.of());
        assertEquals(4, r.rows().size(), r.rows().toString());
        Row ran = r.rows().get(0), outside = r.rows().get(1), refused = r.rows().get(2), unknown = r.rows().get(3);
        assertEquals("initialisation 9 is outside 0..1", outside.error(), "a unit outside the sweep is a row of its own");
        assertEquals("", ran.error());
        assertEquals(2, ran.inits());
        assertEquals(Precision.FLOAT32, refused.precision());
        assertEquals(0, refused.inits());
        assertEquals("tape does not offer float32", refused.error());
        assertTrue(unknown.error().startsWith("no backend 5 in the sweep"), unknown.error());
        assertFalse(r.notes().isEmpty());
    }

    private static double[] neuronAtKink(Bifurcation b, Network n, int init) {
        double[] theta = b.initialParameters(n, init);
        int in = Digits.FEATURES;
        for (int i = 0; i < in; i++) theta[i * n.width()] = 0;
        theta[in * n.width()] = 0;
        return theta;
    }
}
