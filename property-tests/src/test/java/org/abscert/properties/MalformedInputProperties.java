package org.abscert.properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.statistics.Statistics;
import org.abscert.properties.gen.Malformed;
import org.abscert.testkit.support.Tries;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.json.PointJson;
import org.abscert.spi.json.ProcedureJson;

/**
 * Property 7 (DESIGN.md, bad input): reading a malformed procedure or point file fails with an
 * {@link InvalidInputException} whose message is {@code SOURCE: $.json.path: problem} — never with another
 * exception, and never with a result.
 */
@AddLifecycleHook(Tries.class)
class MalformedInputProperties {

    static final String SOURCE = "generated.json";

    @Provide Arbitrary<Malformed.Document> malformedProcedures() { return Malformed.procedures(); }

    @Provide Arbitrary<Malformed.PointDocument> malformedPoints() { return Malformed.points(); }

    @Property(tries = 300) @Label("malformed procedure files fail with one InvalidInputException naming source, path and problem")
    void procedures(@ForAll("malformedProcedures") Malformed.Document doc) {
        try {
            var p = ProcedureJson.parse(SOURCE, doc.text());
            fail("a malformed procedure was accepted as " + p.name() + "\n" + doc);
        } catch (InvalidInputException e) {
            namesSourcePathAndProblem(e, doc);
        } catch (RuntimeException e) {
            throw new AssertionError("reading a malformed procedure threw " + e + " instead of InvalidInputException\n" + doc, e);
        }
    }

    @Property(tries = 200) @Label("malformed point files fail with one InvalidInputException naming source, path and problem")
    void points(@ForAll("malformedPoints") Malformed.PointDocument doc) {
        try {
            PointJson.parse(SOURCE, doc.text(), doc.procedure());
            fail("a malformed point was accepted\n" + doc);
        } catch (InvalidInputException e) {
            namesSourcePathAndProblem(e, doc);
        } catch (RuntimeException e) {
            throw new AssertionError("reading a malformed point threw " + e + " instead of InvalidInputException\n" + doc, e);
        }
    }

    static void namesSourcePathAndProblem(InvalidInputException e, Object doc) {
        String why = "message: " + e.getMessage() + "\n" + doc;
        Statistics.label("rejected at").collect(e.path().replaceAll("^(\\$(\\.[A-Za-z_]+)?).*", "$1"));
        assertEquals(SOURCE, e.source(), why);
        assertTrue(e.path().startsWith("$"), "the path does not start with $: " + why);
        assertFalse(e.problem().isBlank(), "no problem stated: " + why);
        assertTrue(e.getMessage().startsWith(SOURCE + ": $"), why);
        assertEquals(SOURCE + ": " + e.path() + ": " + e.problem(), e.getMessage(), why);
        assertFalse(e.getMessage().contains("\n"), "the message is not one line: " + why);
    }
}
