package org.abscert.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.ir.Op;
import org.junit.jupiter.api.Test;

class TheoryVectorsTest {

    @Test
    void theSixClosedFormRowsOfTheory10InOrder() {
        List<String> ids = TheoryVectors.all().stream().map(Case::id).toList();
        assertEquals(List.of("abs", "relu-difference", "abs-minus-abs", "max-tie", "abs-sum", "relu-of-relu"), ids);
    }

    @Test
    void everyPointFitsItsProcedureAndTheProcedureHasKinks() throws InvalidInputException {
        for (Case c : TheoryVectors.all()) {
            c.values().check(c.procedure(), c.id());
            assertTrue(c.procedure().switchCount() > 0, c.id());
            assertEquals("theory", c.group());
        }
    }

    @Test
    void absMinusAbsUsesTwoAbsNodesAndReluDifferenceTwoRelus() {
        var cases = TheoryVectors.all();
        assertEquals(2, cases.get(2).procedure().nodes().stream().filter(n -> n.op() == Op.ABS).count());
        assertEquals(2, cases.get(1).procedure().nodes().stream().filter(n -> n.op() == Op.RELU).count());
    }

    @Test
    void maxTieIsEvaluatedAtATie() {
        var p = TheoryVectors.all().get(3).values();
        assertEquals(p.parameters().get("x").values()[0], p.parameters().get("y").values()[0]);
    }
}
