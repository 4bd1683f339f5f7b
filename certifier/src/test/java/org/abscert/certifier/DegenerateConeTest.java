package org.abscert.certifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.json.PointJson;
import org.abscert.spi.json.ProcedureJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A net whose weights are all zero puts 15 switches at their kinks with many equal and opposite rows of
 * J_α: the realizability LPs are as degenerate as they come. The enumeration must still finish.
 */
class DegenerateConeTest {

    private static String resource(String name) throws IOException {
        try (InputStream in = DegenerateConeTest.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void enumerationCompletesOnHighlyDegenerateConeTests() throws IOException, InvalidInputException {
        Procedure p = ProcedureJson.parse("degenerate-cones.json", resource("degenerate-cones.json"));
        Point x = PointJson.parse("degenerate-cones.point.json", resource("degenerate-cones.point.json"), p).point();
        ClarkeSet set = Certifier.withDefaults().clarke(p, x);
        assertEquals(15, set.kinks().active());
        assertTrue(set.detail().startsWith("every piece") || set.detail().contains("neither realized nor excluded"), set.detail());
        assertEquals(8, set.limitingGradients().size());
        Result repaired = Certifier.withDefaults().certify(p, x, Candidate.given(set.repair()));
        assertEquals(Verdict.CERTIFIED, repaired.verdict(), repaired.detail());
    }

    @ParameterizedTest
    @ValueSource(strings = {"degenerate-cones-2", "degenerate-cones-3"})
    void enumerationCompletesWhereASolverOnceReportedAFeasibleConeEmpty(String name) throws IOException, InvalidInputException {
        // relu(u) − relu(−u) inside nets with several forced kinks: cone LPs here once came back "infeasible"
        // from round-off in a degenerate tableau
        Procedure p = ProcedureJson.parse(name + ".json", resource(name + ".json"));
        Point x = PointJson.parse(name + ".point.json", resource(name + ".point.json"), p).point();
        ClarkeSet set = Certifier.withDefaults().clarke(p, x);
        assertFalse(set.detail().startsWith("enumeration stopped"), set.detail());
        assertTrue(set.repairCertified());
        Result repaired = Certifier.withDefaults().certify(p, x, Candidate.given(set.repair()));
        assertEquals(Verdict.CERTIFIED, repaired.verdict(), repaired.detail());
    }
}
