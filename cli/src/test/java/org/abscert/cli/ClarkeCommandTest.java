package org.abscert.cli;

import static org.abscert.cli.CertifyCommandTest.example;
import static org.abscert.cli.CertifyCommandTest.file;
import static org.abscert.cli.CertifyCommandTest.point;
import static org.abscert.cli.CertifyCommandTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code abscert clarke}: the limiting gradients of the THEORY.md §10 examples. */
class ClarkeCommandTest {

    private static Set<List<Double>> limiting(JsonNode j) {
        Set<List<Double>> s = new java.util.HashSet<>();
        for (JsonNode g : j.get("limitingGradients")) {
            List<Double> v = new ArrayList<>();
            g.forEach(x -> v.add(x.asDouble() + 0.0));
            s.add(v);
        }
        return s;
    }

    /** The JSON output of {@code clarke} on a shipped example at its shipped point, after checking exit 0. */
    private static JsonNode clarke(String example) {
        var r = run("clarke", example(example), "--point", point(example), "--format", "json");
        assertEquals(0, r.code(), r::toString);
        return r.json();
    }

    @Test
    void reluDifferenceHasTheSingleLimitingGradientOne() {
        JsonNode j = clarke("relu-difference");
        assertTrue(j.get("complete").asBoolean());
        assertEquals(2, j.get("kinks").get("active").asInt());
        assertEquals(Set.of(List.of(1.0)), limiting(j));
        assertEquals(1.0, j.get("repair").get(0).asDouble());
    }

    @Test
    void absAtZeroHasLimitingGradientsMinusOneAndOne() {
        JsonNode j = clarke("abs");
        assertEquals(Set.of(List.of(-1.0), List.of(1.0)), limiting(j));
        double repair = j.get("repair").get(0).asDouble();
        assertTrue(repair == -1.0 || repair == 1.0, "the repair is a limiting gradient");
    }

    @Test
    void maxTieHasTheTwoUnitVectors() {
        assertEquals(Set.of(List.of(1.0, 0.0), List.of(0.0, 1.0)), limiting(clarke("max-tie")));
    }

    @Test
    void absSumHasTheFourCorners() {
        assertEquals(Set.of(List.of(1.0, 1.0), List.of(1.0, -1.0), List.of(-1.0, 1.0), List.of(-1.0, -1.0)),
                limiting(clarke("abs-sum")));
    }

    @Test
    void textOutputListsGradientsAndRepair() {
        var r = run("clarke", example("abs-difference"), "--point", point("abs-difference"));
        assertEquals(0, r.code(), r::toString);
        assertTrue(r.out().contains("repaired Clarke gradient: [0]"), r.out());
        assertTrue(r.out().contains("every piece enumerated"), r.out());
    }

    @Test
    void malformedPointIsBadInput(@TempDir Path dir) throws IOException {
        String p = file(dir, "p.json", "{\"parameters\": {\"x\": [\"zero\"]}}");
        run("clarke", example("abs"), "--point", p).assertBadInput("p.json");
    }
}
