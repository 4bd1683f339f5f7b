package org.abscert.properties.cnn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.abscert.certifier.Candidate;
import org.abscert.certifier.Certifier;
import org.abscert.certifier.Reason;
import org.abscert.certifier.Result;
import org.abscert.certifier.Verdict;
import org.abscert.certifier.anf.Forward;
import org.abscert.certifier.anf.Program;
import org.abscert.certifier.probe.KinkRules;
import org.abscert.spi.Backend;
import org.abscert.spi.BackendException;
import org.abscert.spi.BackendProvider;
import org.abscert.spi.Backends;
import org.abscert.spi.Evaluation;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.Tensor;
import org.abscert.spi.json.ProcedureJson;
import org.abscert.tape.TapeBackend;
import org.abscert.tape.TapeRules;
import org.abscert.tape.TapeRules.PoolTie;

/**
 * Properties of convolutional networks whose expectations come from THEORY.md §11:
 * <ul>
 *   <li><b>A single pooling tie whose row is nonzero is LIKQ</b>: any abs-consistent tie rule (first cell, even
 *       split) gives a CERTIFIED gradient, by Theorem 1;</li>
 *   <li><b>ties among zero rows are don't-care</b>: pooling over dead ReLU cells is CERTIFIED whatever the rule,
 *       even the all-cells rule that is not abs-consistent (the tied cells carry no derivative);</li>
 *   <li><b>generated CNNs</b> (1–3 conv layers, pooling with and without overlap, batch norm, residual add,
 *       dropout mask) with a forced ReLU kink: a deterministic, agnostic backend is never REFUTED (C2 per conv
 *       channel, enumeration where pooling ties are active), and CERTIFIED when no ReLU kink is left out of a
 *       group.</li>
 * </ul>
 * On the tape with each tie rule; on every other discovered backend when it evaluates the ops, otherwise the
 * property prints why the backend was skipped.
 */
class CnnProperties {
    private static final Certifier CERTIFIER = Certifier.withDefaults();
    /** Backends whose skip was already printed (once per backend and reason, not per try). */
    private static final java.util.Set<String> SKIPPED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    static void skip(String backend, String why) {
        if (SKIPPED.add(backend + ": " + why.replaceAll("\\(node '[^']*'\\)", "")))
            System.out.println("CnnProperties: skipping " + backend + ": " + why);
    }

    static TapeBackend tape(PoolTie rule) { return TapeBackend.builder().rules(TapeRules.PYTORCH.withPoolTie(rule)).build(); }

    /** The backends other than the tape that evaluate the procedure; the others are skipped with a printed reason. */
    static List<Backend> others(Procedure p) {
        List<Backend> out = new ArrayList<>();
        for (BackendProvider provider : Backends.providers()) {
            if (provider.name().equals(TapeBackend.NAME)) continue;
            try {
                Backend b = provider.backend();
                var why = b.unsupported(p);
                if (why.isPresent()) skip(b.name(), why.get());
                else out.add(b);
            } catch (BackendException | RuntimeException | LinkageError e) {
                skip(provider.name(), "cannot start: " + e.getMessage());
            }
        }
        return out;
    }

    static Result certify(Backend b, Procedure p, Point x) throws BackendException {
        Evaluation e = b.evaluate(p, x, Precision.FLOAT64);
        return CERTIFIER.certify(p, x, Candidate.of(e, KinkRules.PYTORCH));
    }

    /** A backend other than the tape judged at the point, or null (printed) when the framework refuses the case. */
    static Result certifyOther(Backend b, Procedure p, Point x) {
        try {
            return certify(b, p, x);
        } catch (BackendException e) {
            skip(b.name(), e.getMessage());
            return null;
        }
    }

    /**
     * y = Σ w ⊙ relu(conv(max_pool2d(P)) + c): the pool reads the parameter image P directly, so a tie between
     * two cells of one window has the row e_i − e_j; all other switches are kept off their kinks.
     */
    static Procedure singleTieProcedure(int size) {
        String json = """
                {"format": "abscert/procedure@1", "name": "single-tie",
                 "parameters": [{"name": "P", "shape": [1, 1, %d, %d]}, {"name": "K", "shape": [2, 1, 2, 2]}, {"name": "c", "shape": [2]}],
                 "data": [{"name": "w", "shape": [1, 2, %d, %d]}],
                 "nodes": [{"id": "pool", "op": "max_pool2d", "args": ["P"], "kernel": 2},
                           {"id": "conv", "op": "conv2d", "args": ["pool", "K", "c"]},
                           {"id": "h", "op": "relu", "args": ["conv"]},
                           {"id": "hw", "op": "mul", "args": ["h", "w"]},
                           {"id": "y", "op": "sum", "args": ["hw"]}],
                 "output": "y"}""".formatted(size, size, size / 2 - 1, size / 2 - 1);
        try {
            return ProcedureJson.parse("single-tie", json);
        } catch (InvalidInputException e) {
            throw new IllegalStateException(e);
        }
    }

    @Property(tries = 25)
    void singlePoolingTieWithNonzeroRowIsCertifiedForAnyAbsConsistentRule(@ForAll @LongRange(min = 1, max = 1_000_000) long seed)
            throws BackendException {
        Random r = new Random(seed);
        int size = 2 * (2 + r.nextInt(3));
        Procedure p = singleTieProcedure(size);
        // distinct cells (a permutation of 1…size²) keep every other window free of ties
        List<Integer> values = new ArrayList<>();
        for (int i = 1; i <= size * size; i++) values.add(i);
        java.util.Collections.shuffle(values, r);
        double[] img = new double[size * size];
        for (int i = 0; i < img.length; i++) img[i] = values.get(i) / 4.0;
        // one tie: the second-largest cell of window (0,0) takes the largest value
        int[] win = {0, 1, size, size + 1};
        java.util.Arrays.sort(win);
        int top = win[0], second = -1;
        for (int cell : win) if (img[cell] > img[top]) top = cell;
        for (int cell : win) if (cell != top && (second < 0 || img[cell] > img[second])) second = cell;
        img[second] = img[top];
        double[] k = new double[8], w = new double[p.shape("w").size()];
        for (int i = 0; i < k.length; i++) k[i] = (r.nextInt(15) - 7) / 8.0;
        for (int i = 0; i < w.length; i++) w[i] = (1 + r.nextInt(4)) / 2.0;
        // biases large enough that no ReLU of the conv sits at its kink
        Point x = new Point(Map.of("P", Tensor.of(p.shape("P"), img), "K", Tensor.of(p.shape("K"), k),
                "c", Tensor.of(p.shape("c"), 1000.5, 999.25)), Map.of("w", Tensor.of(p.shape("w"), w)));
        for (PoolTie rule : new PoolTie[] {PoolTie.FIRST, PoolTie.EVEN}) {
            Result res = certify(tape(rule), p, x);
            assertEquals(Verdict.CERTIFIED, res.verdict(), () -> rule + ": " + res.detail() + "\n" + ProcedureJson.write(p));
            assertEquals(Reason.LIKQ, res.reason(), () -> rule + ": " + res.detail());
        }
        for (Backend b : others(p)) {
            Result res = certifyOther(b, p, x);
            if (res != null) assertEquals(Verdict.CERTIFIED, res.verdict(), () -> b.name() + ": " + res.detail());
        }
    }

    @Property(tries = 30, maxDiscardRatio = 20)
    void tiesAmongDeadCellsAreCertifiedWhateverTheRule(@ForAll @LongRange(min = 1, max = 1_000_000) long seed)
            throws BackendException {
        CnnCase base = CnnCase.generate(seed);
        Procedure p = base.procedure();
        // a very negative first-conv bias (or β) kills every cell of channel 0: its pools tie among zeros
        String bias = p.parameterOffset("c1") >= 0 ? "c1" : "beta1";
        double[] b = base.point().parameters().get(bias).values().clone();
        b[0] = -4096;
        var ps = new java.util.LinkedHashMap<>(base.point().parameters());
        ps.put(bias, new Tensor(p.shape(bias), b));
        Point x = new Point(ps, base.point().data());
        // the property is about ties among zero rows: keep the cases whose every active pooling switch is one
        var anf = org.abscert.certifier.anf.AbsNormalForm.at(p, x);
        boolean onlyDeadTies = anf.constantZeros > 0;
        for (int sw : anf.active) onlyDeadTies &= anf.program.op[anf.program.switchNode[sw]] != org.abscert.spi.ir.Op.MAX_POOL2D;
        net.jqwik.api.Assume.that(onlyDeadTies);
        Evaluation first = tape(PoolTie.FIRST).evaluate(p, x, Precision.FLOAT64);
        for (PoolTie rule : PoolTie.values()) {
            Evaluation e = tape(rule).evaluate(p, x, Precision.FLOAT64);
            // the tied cells carry no derivative: every rule gives the same gradient …
            org.junit.jupiter.api.Assertions.assertArrayEquals(first.gradient(), e.gradient(), 1e-9, () -> rule + "\n" + base);
            // … and the certifier judges it like the rule-free gradient
            Result res = CERTIFIER.certify(p, x, Candidate.given(e.gradient()));
            assertNotEquals(Verdict.REFUTED, res.verdict(), () -> rule + ": " + res.detail() + "\n" + base);
        }
    }

    @Property(tries = 25)
    void generatedCnnsWithAForcedReluKinkAreNeverRefuted(@ForAll @LongRange(min = 1, max = 1_000_000) long seed)
            throws BackendException {
        CnnCase c = CnnCase.generate(seed).forceReluKink();
        Procedure p = c.procedure();
        double z = Forward.run(Program.of(p), c.point()).z[0];
        Result res = certify(TapeBackend.create(), p, c.point());
        assertNotEquals(Verdict.REFUTED, res.verdict(), () -> res.detail() + "\n" + c);
        if (p.parameterOffset("c1") >= 0) {
            assertEquals(0.0, z, () -> "the forced kink\n" + c);
            assertNotEquals(Verdict.UNDECIDED, res.verdict(), () -> res.reason() + ": " + res.detail() + "\n" + c);
        }
        for (Backend b : others(p)) {
            Result o = certifyOther(b, p, c.point());
            if (o != null) assertNotEquals(Verdict.REFUTED, o.verdict(), () -> b.name() + ": " + o.detail() + "\n" + c);
        }
    }
}
