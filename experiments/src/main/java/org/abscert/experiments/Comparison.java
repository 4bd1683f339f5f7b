package org.abscert.experiments;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.abscert.certifier.Certifier;
import org.abscert.certifier.Result;
import org.abscert.experiments.ComparisonReport.BackendInfo;
import org.abscert.experiments.ComparisonReport.BackendOutcome;
import org.abscert.experiments.ComparisonReport.CaseResult;
import org.abscert.experiments.ComparisonReport.Disagreement;
import org.abscert.experiments.ComparisonReport.ProbeRow;
import org.abscert.experiments.ComparisonReport.RuleSensitivity;
import org.abscert.experiments.ComparisonReport.Step;
import org.abscert.experiments.ComparisonReport.TimingRow;
import org.abscert.experiments.ComparisonReport.TrainingRun;
import org.abscert.certifier.probe.KinkRuleProbe;
import org.abscert.certifier.probe.KinkRules;
import org.abscert.certifier.probe.ProbeReport;
import org.abscert.spi.Backend;
import org.abscert.spi.BackendException;
import org.abscert.spi.Evaluation;
import org.abscert.spi.Precision;
import org.abscert.spi.data.Dataset;

/**
 * One comparison run over a set of backends (see the package description for its parts).
 *
 * <pre>{@code
 * var options = Comparison.Options.standard("digits", train, test);
 * ComparisonReport r = new Comparison(options, backends, List.of(), List.of(), rulePair, Certifier.withDefaults())
 *         .run(Progress.NONE);
 * }</pre>
 *
 * <p>Backends run one after another (never in parallel) so that the timing compares like with like.
 */
public final class Comparison {

    /**
     * What to run.
     *
     * @param dataset      data set name for the report
     * @param train        training examples
     * @param test         held-out examples
     * @param hidden       hidden widths of the MLP
     * @param batch        mini-batch size
     * @param epochs       SGD epochs
     * @param learningRate SGD step size
     * @param seed         seed of everything random
     * @param precisions   precisions to compare (each backend runs those it supports)
     * @param kinkNets     generated kink-forced nets in the vector suite
     * @param certifyEvery the certifier judges every k-th training step
     * @param reference    backend whose gradient time the timing ratios divide by (when present)
     * @param quick        marks the reduced run in the report
     */
    public record Options(String dataset, Dataset train, Dataset test, List<Integer> hidden, int batch, int epochs,
                          double learningRate, long seed, List<Precision> precisions, int kinkNets, int certifyEvery,
                          String reference, boolean quick) {
        public Options {
            Objects.requireNonNull(dataset);
            hidden = List.copyOf(hidden);
            precisions = List.copyOf(precisions);
            Objects.requireNonNull(reference);
        }

        /** The default run: a 128-128 hidden MLP, batch 32, 3 epochs, η = 0.1, both precisions, 12 nets. */
        public static Options standard(String dataset, Dataset train, Dataset test) {
            return new Options(dataset, train, test, List.of(128, 128), 32, 3, 0.1, 7,
                    List.of(Precision.FLOAT32, Precision.FLOAT64), 12, 1, "tape", false);
        }

        /** The same with other epochs, nets and certification stride, for a fast run. */
        public Options reduced(int epochs, int kinkNets, int certifyEvery) {
            return new Options(dataset, train, test, hidden, batch, epochs, learningRate, seed, precisions, kinkNets,
                    certifyEvery, reference, true);
        }

        public Options withCertifyEvery(int k) {
            return new Options(dataset, train, test, hidden, batch, epochs, learningRate, seed, precisions, kinkNets,
                    k, reference, quick);
        }
    }

    /** Two variants of one backend that differ only in relu′(0): 0 and 1. */
    public record RulePair(Backend ruleZero, Backend ruleOne) {
        public RulePair {
            Objects.requireNonNull(ruleZero);
            Objects.requireNonNull(ruleOne);
        }
    }

    private final Options options;
    private final List<Backend> backends;
    private final List<Backend> variants;
    private final List<BackendInfo> unavailable;
    private final RulePair rulePair;
    private final Certifier certifier;
    private final Bifurcation bifurcation;
    private final boolean experimentsOnly;
    private final MaxPoolExperiment maxPool;
    private final TrainingTrack track;

    /**
     * @param backends    the backends to compare in all four parts, in report order
     * @param variants    further configurations (of the same frameworks) probed and run on the vector suite
     *                    only, not trained: cheap contrasts such as another relu′(0) rule
     * @param unavailable backends that could not start (listed in the report with their error)
     * @param rulePair    the relu′(0) pair for the sensitivity measurement, or null to skip it
     */
    public Comparison(Options options, List<Backend> backends, List<Backend> variants, List<BackendInfo> unavailable,
                      RulePair rulePair, Certifier certifier) {
        this.options = Objects.requireNonNull(options);
        this.backends = List.copyOf(backends);
        this.variants = List.copyOf(variants);
        this.unavailable = List.copyOf(unavailable);
        this.rulePair = rulePair;
        this.certifier = Objects.requireNonNull(certifier);
        this.bifurcation = null;
        this.experimentsOnly = false;
        this.maxPool = null;
        this.track = null;
    }

    private Comparison(Comparison base, Bifurcation bifurcation, boolean only, MaxPoolExperiment maxPool, TrainingTrack track) {
        this.options = base.options;
        this.backends = base.backends;
        this.variants = base.variants;
        this.unavailable = base.unavailable;
        this.rulePair = base.rulePair;
        this.certifier = base.certifier;
        this.bifurcation = bifurcation;
        this.experimentsOnly = only;
        this.maxPool = maxPool;
        this.track = track;
    }

    /**
     * This comparison with the max-pool experiment as part 6; with {@code only}, parts 1–4 are skipped
     * ({@code abscert compare --experiment maxpool}, where no other experiment is added).
     */
    public Comparison withMaxPool(MaxPoolExperiment experiment, boolean only) {
        return new Comparison(this, bifurcation, only || experimentsOnly, Objects.requireNonNull(experiment), track);
    }

    /**
     * This comparison with the training track (MLP and CNN in float32 and bfloat16) as part 7; with {@code only},
     * parts 1–4 are skipped.
     */
    public Comparison withTrainingTrack(TrainingTrack t, boolean only) {
        return new Comparison(this, bifurcation, only || experimentsOnly, maxPool, Objects.requireNonNull(t));
    }

    /**
     * This comparison with the bifurcation experiment as part 5; with {@code only}, parts 1–4 are skipped
     * ({@code abscert compare --experiment bifurcation}).
     */
    public Comparison withBifurcation(Bifurcation experiment, boolean only) {
        return new Comparison(this, Objects.requireNonNull(experiment), only || experimentsOnly, maxPool, track);
    }

    /** All cases of the vector suite: THEORY.md §10, then the generated nets. */
    public List<Case> cases() {
        List<Case> all = new ArrayList<>(TheoryVectors.all());
        all.addAll(KinkForcedNets.generate(options.seed(), options.kinkNets()));
        return all;
    }

    /** The training experiment this run performs. */
    public TrainingExperiment experiment() {
        return new TrainingExperiment(new TrainingExperiment.Config(options.train(), options.test(), options.hidden(),
                options.batch(), options.epochs(), options.learningRate(), options.seed(), options.certifyEvery()));
    }

    private List<Precision> precisionsOf(Backend b) {
        return options.precisions().stream().filter(b.precisions()::contains).toList();
    }

    /**
     * Runs the parts: 1–4, then 5, 6 and 7 when {@link #withBifurcation}, {@link #withMaxPool} and
     * {@link #withTrainingTrack} added them (parts 1–4 are skipped when one of them was added as the only one).
     */
    public ComparisonReport run(Progress progress) {
        long start = System.nanoTime();
        Instant started = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        Judge judge = new Judge(certifier);
        List<String> notes = new ArrayList<>();
        List<Case> cases = cases();
        TrainingExperiment experiment = experiment();

        List<Backend> probed = new ArrayList<>(backends);
        probed.addAll(variants);
        long pairs = backends.stream().mapToLong(b -> precisionsOf(b).size()).sum();
        long probedPairs = probed.stream().mapToLong(b -> precisionsOf(b).size()).sum();
        List<Precision> sensitivityPrecisions = rulePair == null ? List.of()
                : options.precisions().stream().filter(p -> rulePair.ruleZero().precisions().contains(p)
                        && rulePair.ruleOne().precisions().contains(p)).toList();
        if (experimentsOnly) {
            cases = List.of();
            pairs = 0;
            probedPairs = 0;
            sensitivityPrecisions = List.of();
        }
        long bifurcationUnits = bifurcation == null ? 0 : bifurcation.units();
        long laterUnits = (maxPool == null ? 0 : maxPool.units()) + (track == null ? 0 : track.units());
        progress.begin(probedPairs + probedPairs * cases.size() + pairs * experiment.steps()
                + (long) sensitivityPrecisions.size() * experiment.steps() + bifurcationUnits + laterUnits);
        try {
            List<BackendInfo> infos = new ArrayList<>();
            for (Backend b : probed)
                infos.add(new BackendInfo(b.name(), b.version(), b.description(), precisionsOf(b), "",
                        variants.contains(b)));
            infos.addAll(unavailable);
            for (BackendInfo u : unavailable) notes.add("backend " + u.name() + " did not start: " + u.error());

            // part 1
            List<ProbeRow> probes = new ArrayList<>();
            Map<String, KinkRules> rules = new HashMap<>();
            for (Backend b : experimentsOnly ? List.<Backend>of() : probed)
                for (Precision p : precisionsOf(b)) {
                    ProbeRow row = probe(b, p);
                    probes.add(row);
                    // a rule that changes between calls, positions or threads describes no particular
                    // evaluation: such a backend is judged from its trace or by enumeration, as `certify` does
                    if (row.measured() && row.report().deterministic()) rules.put(key(b.name(), p), row.report().rules());
                    progress.step("probing " + b.name() + " " + p);
                }
            probes.stream().filter(r -> !r.measured()).map(ProbeRow::error).distinct()
                    .forEach(e -> notes.add("kink-rule probe: " + e));

            // part 2
            List<CaseResult> results = new ArrayList<>();
            for (Precision p : options.precisions())
                for (Case c : cases) results.add(runCase(c, p, probed, rules, judge, progress));

            // part 3
            List<TrainingRun> runs = new ArrayList<>();
            for (Backend b : experimentsOnly ? List.<Backend>of() : backends)
                for (Precision p : precisionsOf(b))
                    runs.add(experiment.run(b, p, rules.get(key(b.name(), p)), judge, progress));
            for (TrainingRun r : runs)
                if (!r.error().isEmpty()) notes.add("training " + r.backend() + " " + r.precision() + " stopped: " + r.error());
            List<RuleSensitivity> sensitivity = new ArrayList<>();
            for (Precision p : sensitivityPrecisions)
                sensitivity.add(experiment.sensitivity(rulePair.ruleZero(), rulePair.ruleOne(), p, progress));
            if (rulePair == null && !experimentsOnly)
                notes.add("relu′(0) sensitivity not measured: no backend with a configurable relu′(0) rule was found");

            // part 4
            List<TimingRow> timing = timing(runs);

            // part 5
            BifurcationReport split = bifurcation == null ? BifurcationReport.NONE : bifurcation.run(progress, rules);

            // part 6
            MaxPoolReport pools = maxPool == null ? MaxPoolReport.NONE : maxPool.run(progress, rules);

            // part 7
            TrainingTrackReport tracked = track == null ? TrainingTrackReport.NONE : track.run(progress, rules);
            if (!judge.failure().isEmpty()) notes.add("certifier: " + judge.failure());

            var setup = new ComparisonReport.Setup(options.dataset(), options.train().size(), options.test().size(),
                    Arrays.stream(experiment.widths()).boxed().toList(), options.batch(), options.epochs(),
                    options.learningRate(), options.seed(), options.precisions(), options.kinkNets(),
                    options.certifyEvery(), referenceName(runs), options.quick(), environment(), started.toString());
            long wall = (System.nanoTime() - start) / 1_000_000;
            return new ComparisonReport(setup, infos, probes, results, runs, sensitivity, timing, split, pools, tracked,
                    notes, wall);
        } finally {
            progress.end();
        }
    }

    private static String key(String backend, Precision p) { return backend + "/" + p; }

    private static ProbeRow probe(Backend b, Precision p) {
        try {
            ProbeReport r = KinkRuleProbe.probe(b, p);
            return new ProbeRow(b.name(), p, r, "");
        } catch (BackendException | RuntimeException e) {
            return new ProbeRow(b.name(), p, null, b.name() + " " + p + ": " + e.getMessage());
        }
    }

    private static CaseResult runCase(Case c, Precision p, List<Backend> probed, Map<String, KinkRules> rules,
                                      Judge judge, Progress progress) {
        List<BackendOutcome> outcomes = new ArrayList<>();
        for (Backend b : probed) {
            if (!b.precisions().contains(p)) continue;
            outcomes.add(outcome(c, b, p, rules.get(key(b.name(), p)), judge));
            progress.step("vector suite " + p);
        }
        List<Disagreement> dis = new ArrayList<>();
        for (int i = 0; i < outcomes.size(); i++)
            for (int j = i + 1; j < outcomes.size(); j++) {
                BackendOutcome a = outcomes.get(i), b = outcomes.get(j);
                if (a.zeros() < 0 || b.zeros() < 0) continue;
                dis.add(new Disagreement(a.backend(), b.backend(),
                        TrainingExperiment.maxAbsDifference(a.gradient(), b.gradient())));
            }
        return new CaseResult(c.id(), c.group(), c.title(), c.pointText(), c.clarke(), c.note(),
                c.procedure().switchCount(), p, outcomes, dis);
    }

    private static BackendOutcome outcome(Case c, Backend b, Precision p, KinkRules rules, Judge judge) {
        Optional<String> why = b.unsupported(c.procedure());
        if (why.isPresent()) return new BackendOutcome(b.name(), Outcome.UNSUPPORTED, "", why.get(), Double.NaN, new double[0], -1, -1);
        Evaluation ev;
        try {
            ev = b.evaluate(c.procedure(), c.values(), p);
        } catch (BackendException e) {
            boolean unsupported = e.getMessage() != null && e.getMessage().contains("support");
            return new BackendOutcome(b.name(), unsupported ? Outcome.UNSUPPORTED : Outcome.FAILED, "", e.getMessage(),
                    Double.NaN, new double[0], -1, -1);
        } catch (RuntimeException e) {
            return new BackendOutcome(b.name(), Outcome.FAILED, "", e.toString(), Double.NaN, new double[0], -1, -1);
        }
        Optional<Result> r = judge.judge(c.procedure(), c.values(), ev, rules);
        if (r.isEmpty())
            return new BackendOutcome(b.name(), Outcome.NOT_JUDGED, "", judge.failure(), Double.NaN, ev.gradient(),
                    ev.switches().zeros(), -1);
        Result res = r.get();
        return new BackendOutcome(b.name(), Outcome.of(res.verdict()), res.reason().name(), res.detail(), res.distance(),
                ev.gradient(), ev.switches().zeros(), res.spuriousKinks());
    }

    private String referenceName(List<TrainingRun> runs) {
        for (TrainingRun r : runs) if (r.backend().equals(options.reference())) return options.reference();
        return runs.isEmpty() ? options.reference() : runs.get(0).backend();
    }

    /** Medians over the steps after warm-up (the first fifth, at most 5 steps: JIT and native start-up). */
    List<TimingRow> timing(List<TrainingRun> runs) {
        String ref = referenceName(runs);
        Map<Precision, Double> refMillis = new HashMap<>();
        Map<TrainingRun, double[]> medians = new java.util.LinkedHashMap<>();
        for (TrainingRun r : runs) {
            int warm = Math.min(5, r.steps().size() / 5);
            List<Step> s = r.steps().subList(warm, r.steps().size());
            double g = median(s.stream().mapToLong(Step::gradientNanos).toArray()) / 1e6;
            long[] certs = s.stream().mapToLong(Step::certifyNanos).filter(v -> v >= 0).toArray();
            double c = median(certs) / 1e6;
            medians.put(r, new double[] {g, c, s.size()});
            if (r.backend().equals(ref)) refMillis.put(r.precision(), g);
        }
        List<TimingRow> rows = new ArrayList<>();
        for (var e : medians.entrySet()) {
            double[] m = e.getValue();
            double base = refMillis.getOrDefault(e.getKey().precision(), Double.NaN);
            rows.add(new TimingRow(e.getKey().backend(), e.getKey().precision(), m[0], m[0] / base, m[1], m[1] / base, (int) m[2]));
        }
        return rows;
    }

    static double median(long[] v) {
        if (v.length == 0) return Double.NaN;
        long[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2.0;
    }

    private static String environment() {
        return "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + "), "
                + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ", "
                + Runtime.getRuntime().availableProcessors() + " cores";
    }
}
