package org.abscert.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.Charset;
import org.abscert.spi.Backend;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.ProcedureBuilder;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.ir.Tensor;
import org.junit.jupiter.api.Test;

class ChatterFilterTest {

    @Test
    void dropsOnlySameDiffChatterAndForwardsEverythingElse() {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream original = System.out;
        System.setOut(new PrintStream(captured, true, Charset.defaultCharset()));
        try {
            ChatterFilter.quiet(() -> {
                System.out.println("Added differentiated op relu");
                System.out.println("a line of the application");
                System.out.print("no newline at the end");
                return null;
            });
        } finally {
            System.setOut(original);
        }
        assertEquals("a line of the application" + System.lineSeparator() + "no newline at the end",
                captured.toString(Charset.defaultCharset()));
    }

    @Test
    void sameDiffEvaluationPrintsNothingOnStandardOutput() throws Exception {
        var b = ProcedureBuilder.named("quiet");
        String x = b.parameter("x", 2);
        Procedure p = b.build(b.sum(b.relu(x)));
        Point at = new Point(java.util.Map.of("x", Tensor.of(Shape.of(2), 1, -1)), java.util.Map.of());
        Backend sd = new SameDiffBackendProvider().backend();
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream original = System.out;
        System.setOut(new PrintStream(captured, true, Charset.defaultCharset()));
        try {
            sd.evaluate(p, at, Precision.FLOAT64);
        } finally {
            System.setOut(original);
        }
        assertEquals("", captured.toString(Charset.defaultCharset()));
    }
}
