package org.abscert.certifier;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.statistics.Statistics;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.ProcedureBuilder;

/**
 * Every certify and clarke call ends within its deadline (plus the fixed cost of one forward and a few reverse
 * sweeps) with a verdict, on random large and deep procedures at points where every switch is active: nested
 * kinks thousands deep, wide layers of kinks, chains of dependent kinks — the shapes that once hung.
 */
class BoundedWorkProperties {
    private static final Certifier QUICK = Certifier.builder().deadline(Duration.ofMillis(500)).workCap(50_000).build();

    @Property(tries = 12, seed = "20261127")
    void everyCallEndsWithAVerdict(@ForAll @LongRange(min = 1, max = 1_000_000) long seed) {
        Random rnd = new Random(seed);
        ProcedureBuilder b = ProcedureBuilder.named("large");
        // deep and narrow, or wide and shallow (a procedure both deep and wide only costs memory, not insight)
        boolean deep = rnd.nextBoolean();
        int width = deep ? 1 + rnd.nextInt(4) : 1 + rnd.nextInt(2_000);
        int depth = deep ? 1 + rnd.nextInt(3_000) : 1 + rnd.nextInt(8);
        String x = b.parameter("x", width);
        String h = x;
        for (int d = 0; d < depth; d++) {
            h = switch (rnd.nextInt(4)) {
                case 0 -> b.abs(h);
                case 1 -> b.relu(b.sub(x, h));
                case 2 -> b.abs(b.sub(h, b.scale(x, 0.5)));
                default -> b.max(h, b.neg(h));
            };
        }
        Procedure p = b.build(b.sum(h));
        Point at = new Point(Map.of(), Map.of()).withParameters(p, new double[width]);
        double[] candidate = new double[width];
        for (int i = 0; i < width; i++) candidate[i] = rnd.nextInt(5) - 2;
        long t0 = System.nanoTime();
        Result r = QUICK.certify(p, at, Candidate.given(candidate));
        ClarkeSet cs = QUICK.clarke(p, at);
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertNotNull(r.verdict());
        assertNotNull(cs.detail());
        Statistics.label("verdict").collect(r.verdict());
        // two calls of 0.5 s each, plus sweeps whose cost is linear in the procedure: far below a minute
        assertTrue(seconds < 60, () -> "took " + seconds + " s: width " + p.parameterSize() + ", " + p.nodes().size() + " nodes");
    }
}
