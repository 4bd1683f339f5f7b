package org.abscert.cli.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.abscert.experiments.ComparisonReport;
import org.abscert.experiments.ComparisonReport.BackendOutcome;
import org.abscert.experiments.ComparisonReport.CaseResult;
import org.abscert.experiments.ComparisonReport.Disagreement;
import org.abscert.experiments.ComparisonReport.EpochPoint;
import org.abscert.experiments.ComparisonReport.ProbeRow;
import org.abscert.experiments.ComparisonReport.Step;
import org.abscert.experiments.ComparisonReport.TrainingRun;
import org.abscert.certifier.probe.KinkRules;
import org.abscert.spi.json.Json;

/**
 * {@code report.json}, format {@code abscert/compare@1}: the whole measurement. Numbers that are unknown
 * (NaN) are {@code null}; counts that are unknown are {@code null} too. Keys:
 * {@code format, setup, backends, probes, cases, training, reluSensitivity, timing, notes, bifurcation, maxPool,
 * trainingTrack, wallMillis} ({@code bifurcation}, {@code maxPool} and {@code trainingTrack} are null when that
 * experiment did not run).
 */
public final class JsonReport {
    public static final String FORMAT = "abscert/compare@1";

    private JsonReport() {}

    public static String render(ComparisonReport r) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("format", FORMAT);
        var s = r.setup();
        ObjectNode setup = root.putObject("setup");
        setup.put("dataset", s.dataset());
        setup.put("trainSize", s.trainSize());
        setup.put("testSize", s.testSize());
        ArrayNode widths = setup.putArray("widths");
        s.widths().forEach(widths::add);
        setup.put("batch", s.batch());
        setup.put("epochs", s.epochs());
        setup.put("learningRate", s.learningRate());
        setup.put("seed", s.seed());
        ArrayNode precisions = setup.putArray("precisions");
        s.precisions().forEach(p -> precisions.add(p.label()));
        setup.put("kinkNets", s.kinkNets());
        setup.put("certifyEvery", s.certifyEvery());
        setup.put("timingReference", s.reference());
        setup.put("quick", s.quick());
        setup.put("environment", s.environment());
        setup.put("startedAt", s.startedAt());

        ArrayNode backends = root.putArray("backends");
        for (var b : r.backends()) {
            ObjectNode o = backends.addObject();
            o.put("name", b.name());
            o.put("version", b.version());
            o.put("description", b.description());
            ArrayNode ps = o.putArray("precisions");
            b.precisions().forEach(p -> ps.add(p.label()));
            o.put("variant", b.variant());
            if (b.available()) o.putNull("error");
            else o.put("error", b.error());
        }

        ArrayNode probes = root.putArray("probes");
        for (ProbeRow p : r.probes()) {
            ObjectNode o = probes.addObject();
            o.put("backend", p.backend());
            o.put("precision", p.precision().label());
            if (!p.measured()) {
                o.put("error", p.error());
                continue;
            }
            KinkRules k = p.report().rules();
            ObjectNode rules = o.putObject("rules");
            num(rules, "relu0", k.relu0());
            num(rules, "abs0", k.abs0());
            num(rules, "maxTieA", k.maxTieA());
            num(rules, "maxTieB", k.maxTieB());
            num(rules, "minTieA", k.minTieA());
            num(rules, "minTieB", k.minTieB());
            num(rules, "leakyAlpha", k.leakyAlpha());
            num(rules, "leaky0", k.leaky0());
            num(rules, "hardtanhMinus1", k.hardtanhMinus1());
            num(rules, "hardtanhPlus1", k.hardtanhPlus1());
            o.put("absConsistent", p.report().absConsistent());
            o.put("deterministic", p.report().deterministic());
            ArrayNode notes = o.putArray("notes");
            p.report().notes().forEach(notes::add);
        }

        ArrayNode cases = root.putArray("cases");
        for (CaseResult c : r.cases()) {
            ObjectNode o = cases.addObject();
            o.put("id", c.caseId());
            o.put("group", c.group());
            o.put("title", c.title());
            o.put("point", c.pointText());
            o.put("clarke", c.clarke());
            o.put("note", c.note());
            o.put("switches", c.switches());
            o.put("precision", c.precision().label());
            ArrayNode outs = o.putArray("outcomes");
            for (BackendOutcome b : c.outcomes()) {
                ObjectNode x = outs.addObject();
                x.put("backend", b.backend());
                x.put("outcome", b.outcome().name());
                x.put("reason", b.reason());
                x.put("detail", b.detail() == null ? "" : b.detail());
                num(x, "distance", b.distance());
                ArrayNode g = x.putArray("gradient");
                for (double v : b.gradient()) add(g, v);
                count(x, "zeros", b.zeros());
                count(x, "spurious", b.spurious());
            }
            ArrayNode dis = o.putArray("disagreement");
            for (Disagreement d : c.disagreement()) {
                ObjectNode x = dis.addObject();
                x.put("a", d.a());
                x.put("b", d.b());
                num(x, "maxAbs", d.maxAbs());
            }
        }

        ArrayNode training = root.putArray("training");
        for (TrainingRun t : r.training()) {
            ObjectNode o = training.addObject();
            o.put("backend", t.backend());
            o.put("precision", t.precision().label());
            if (t.error().isEmpty()) o.putNull("error");
            else o.put("error", t.error());
            ArrayNode steps = o.putArray("steps");
            for (Step st : t.steps()) {
                ObjectNode x = steps.addObject();
                x.put("step", st.index());
                x.put("epoch", st.epoch());
                num(x, "loss", st.loss());
                x.put("zeros", st.zeros());
                x.put("switches", st.switches());
                count(x, "spurious", st.spurious());
                x.put("outcome", st.outcome().name());
                x.put("reason", st.reason());
                if (!st.detail().isEmpty()) x.put("detail", st.detail());
                x.put("gradientMillis", st.gradientNanos() / 1e6);
                num(x, "certifyMillis", st.certifyNanos() < 0 ? Double.NaN : st.certifyNanos() / 1e6);
            }
            ArrayNode epochs = o.putArray("epochs");
            for (EpochPoint e : t.epochs()) {
                ObjectNode x = epochs.addObject();
                x.put("epoch", e.epoch());
                num(x, "accuracy", e.accuracy());
                num(x, "loss", e.loss());
            }
        }

        ArrayNode sens = root.putArray("reluSensitivity");
        for (var x : r.ruleSensitivity()) {
            ObjectNode o = sens.addObject();
            o.put("backend", x.backend());
            o.put("precision", x.precision().label());
            o.put("batches", x.batches());
            o.put("differing", x.differing());
            o.put("withZeros", x.withZeros());
            o.put("zeroSwitches", x.zeroSwitches());
            num(o, "maxAbs", x.maxAbs());
            if (x.error().isEmpty()) o.putNull("error");
            else o.put("error", x.error());
        }

        ArrayNode timing = root.putArray("timing");
        for (var t : r.timing()) {
            ObjectNode o = timing.addObject();
            o.put("backend", t.backend());
            o.put("precision", t.precision().label());
            num(o, "gradientMillis", t.gradientMillis());
            num(o, "gradientRatio", t.gradientRatio());
            num(o, "certifyMillis", t.certifyMillis());
            num(o, "certifyRatio", t.certifyRatio());
            o.put("samples", t.samples());
        }
        ArrayNode notes = root.putArray("notes");
        r.notes().forEach(notes::add);
        BifurcationSection.json(root, r.bifurcation());
        MaxPoolSection.json(root, r.maxPool());
        TrackSection.json(root, r.trainingTrack());
        root.put("wallMillis", r.wallMillis());
        try {
            return Json.MAPPER.writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void num(ObjectNode o, String key, double v) {
        if (Double.isFinite(v)) o.put(key, v);
        else o.putNull(key);
    }

    private static void add(ArrayNode a, double v) {
        if (Double.isFinite(v)) a.add(v);
        else a.addNull();
    }

    private static void count(ObjectNode o, String key, int v) {
        if (v >= 0) o.put(key, v);
        else o.putNull(key);
    }
}
