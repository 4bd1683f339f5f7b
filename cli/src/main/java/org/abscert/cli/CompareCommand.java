package org.abscert.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.abscert.certifier.Certifier;
import org.abscert.experiments.Bifurcation;
import org.abscert.experiments.Comparison;
import org.abscert.experiments.MaxPoolExperiment;
import org.abscert.experiments.TrainingTrack;
import org.abscert.experiments.ComparisonReport;
import org.abscert.experiments.ComparisonReport.BackendInfo;
import org.abscert.experiments.TrainingExperiment;
import org.abscert.spark.SparkBifurcation;
import org.abscert.spark.SparkRun;
import org.abscert.cli.report.ConsoleProgress;
import org.abscert.cli.report.ReportWriter;
import org.abscert.cli.report.SummaryTable;
import org.abscert.spi.Backend;
import org.abscert.spi.BackendException;
import org.abscert.spi.BackendProvider;
import org.abscert.spi.Backends;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.Precision;
import org.abscert.spi.data.Dataset;
import org.abscert.spi.data.Digits;
import org.abscert.spi.data.FashionMnist;
import org.abscert.spi.json.Json;
import org.abscert.tape.TapeBackend;
import org.abscert.tape.TapeRules;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code abscert compare}: the backend comparison report (HTML, JSON, CSV) of every discovered backend.
 *
 * <p>The report is a measurement, not a verdict: the command exits 0 whenever it wrote the report, even when
 * the certifier refuted some backend's gradient (that is a finding shown in the report). Exit 2 for bad
 * usage, an unknown backend, a data set that is not installed or an output directory that cannot be written.
 */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = {"Compares the discovered backends at kinks and writes a report (report.html, report.json, CSV).",
                "Parts: kink rules (probe); THEORY.md §10 vectors and seeded kink-forced nets; an SGD training "
                        + "experiment on a 128-128 ReLU MLP in float32 and float64; timing as ratios to the tape; the "
                        + "relu'(0) bifurcation experiment of Bertoin et al. (NeurIPS 2021) beside their published figures; "
                        + "max_pool2d tie rules on a LeNet-style CNN; a training track of an MLP and the CNN in float32 and bfloat16.",
                "Exit 0 when the report was written (it is a measurement, not a verdict); 2 for bad input."})
final class CompareCommand implements Callable<Integer> {

    enum DatasetChoice {
        digits("digits"), fashion_mnist("fashion-mnist");

        final String label;

        DatasetChoice(String label) { this.label = label; }

        static DatasetChoice parse(String s) {
            for (DatasetChoice d : values()) if (d.label.equals(s)) return d;
            return null;
        }
    }

    /** {@code --quick}: training examples (6 mini-batches of 32), one epoch, and generated kink-forced nets. */
    static final int QUICK_TRAIN = 192, QUICK_NETS = 2;

    /**
     * Bifurcation defaults, sized so that the default run stays within a few minutes on 2 cores: initialisations,
     * Fashion-MNIST examples (10 mini-batches of 100), and differing mini-batches certified per row.
     */
    static final List<String> DEFAULT_BIFURCATION_BACKENDS = List.of(TapeBackend.NAME, "djl-pytorch");
    static final int DEFAULT_INITS = 3, DEFAULT_FASHION_EXAMPLES = 1_000, CERTIFY_LIMIT = 5, QUICK_BIFURCATION_EXAMPLES = 300;

    /**
     * Parts 6 and 7 defaults, sized for the time budget of the default run: max-pool initialisations and examples
     * (6 mini-batches of 32), the certifier's deadline per gradient, and the training track's examples, held-out
     * examples, epochs, learning rate and certification stride.
     */
    static final int DEFAULT_MAXPOOL_INITS = 2, DEFAULT_MAXPOOL_EXAMPLES = 192, CNN_BATCH = 32, DEFAULT_TRACK_EXAMPLES = 640,
            TRACK_TEST = 200, DEFAULT_TRACK_EPOCHS = 2, TRACK_CERTIFY_EVERY = 10, QUICK_CNN_EXAMPLES = 32;
    static final double TRACK_LEARNING_RATE = 0.1;
    /** Mini-batches with a tie the certifier judges per max-pool row (under every rule). */
    static final int MAXPOOL_CERTIFY_LIMIT = 1;
    static final long CNN_WORK_CAP = 200_000;
    static final List<String> DEFAULT_CNN_BACKENDS = List.of(TapeBackend.NAME, "djl-pytorch");
    static final List<String> EXPERIMENTS = List.of("all", "bifurcation", "maxpool", "track");

    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--out", paramLabel = "DIR", description = "Directory for the report (default: ${DEFAULT-VALUE}).",
            defaultValue = "abscert-report")
    Path out;

    @Option(names = "--dataset", paramLabel = "NAME", defaultValue = "digits",
            description = "Training data: digits (shipped, default) or fashion-mnist (Debian's dataset-fashion-mnist).")
    String dataset;

    @Option(names = "--quick", description = "A reduced run (one short epoch, fewer generated nets), for smoke tests.")
    boolean quick;

    @Option(names = "--backend", paramLabel = "NAME",
            description = "Compare only these backends (repeatable; default: every discovered backend).")
    List<String> only = new ArrayList<>();

    @Option(names = "--experiment", paramLabel = "NAME", defaultValue = "all",
            description = "all (default: parts 1-7), bifurcation (only the relu'(0) bifurcation experiment, part 5), "
                    + "maxpool (only the max-pool tie experiment, part 6) or track (only the MLP/CNN training track, part 7).")
    String experiment;

    @Option(names = "--inits", paramLabel = "K", defaultValue = "" + DEFAULT_INITS,
            description = "Bifurcation experiment: random initialisations per network, backend and precision "
                    + "(default: ${DEFAULT-VALUE}; the published runs used 1000).")
    int inits;

    @Option(names = "--bifurcation-backend", paramLabel = "NAME",
            description = "Bifurcation experiment: backends to run it on (repeatable; default: tape and djl-pytorch; "
                    + "'all': every compared backend — DL4J's 16-bit kernels take minutes per mini-batch on a CPU).")
    List<String> bifurcationBackends = new ArrayList<>();

    @Option(names = "--bifurcation-dataset", paramLabel = "NAME", defaultValue = "auto",
            description = "Bifurcation and max-pool experiments and training track (parts 5-7): fashion-mnist, digits, or "
                    + "auto (default: Fashion-MNIST when installed, the shipped digits otherwise; the CNN gets the 8x8 digits "
                    + "scaled x3 into 28x28).")
    String bifurcationDataset;

    @Option(names = "--sweep", description = "Bifurcation experiment: also the published depth (1-6 x 256), width "
            + "(3 x 16-1024) and batch-size (16-1024) sweeps; takes many times longer.")
    boolean sweep;

    @Option(names = "--examples", paramLabel = "N",
            description = "Bifurcation experiment: training examples in its epoch (default: all 1,797 digits, or the "
                    + "first " + DEFAULT_FASHION_EXAMPLES + " of Fashion-MNIST's 60,000 when it is installed).")
    Integer examples;

    @Option(names = "--maxpool-inits", paramLabel = "K", defaultValue = "" + DEFAULT_MAXPOOL_INITS,
            description = "Max-pool experiment: random initialisations per network, backend and precision (default: ${DEFAULT-VALUE}).")
    int maxPoolInits;

    @Option(names = "--maxpool-examples", paramLabel = "N", defaultValue = "" + DEFAULT_MAXPOOL_EXAMPLES,
            description = "Max-pool experiment: examples in its epoch, in mini-batches of " + CNN_BATCH + " (default: ${DEFAULT-VALUE}).")
    int maxPoolExamples;

    @Option(names = "--cnn-backend", paramLabel = "NAME",
            description = "Max-pool experiment and training track: backends to run them on (repeatable; default: tape and "
                    + "djl-pytorch; 'all': every compared backend).")
    List<String> cnnBackends = new ArrayList<>();

    @Option(names = "--track-examples", paramLabel = "N", defaultValue = "" + DEFAULT_TRACK_EXAMPLES,
            description = "Training track: training examples (default: ${DEFAULT-VALUE}; " + TRACK_TEST + " more are held out).")
    int trackExamples;

    @Option(names = "--track-epochs", paramLabel = "N", defaultValue = "" + DEFAULT_TRACK_EPOCHS,
            description = "Training track: epochs of SGD (default: ${DEFAULT-VALUE}).")
    int trackEpochs;

    @Option(names = "--certify-deadline", paramLabel = "SECONDS", defaultValue = "20",
            description = "Max-pool experiment and training track: the certifier's wall-clock budget per gradient; "
                    + "past it the verdict is UNDECIDED (default: ${DEFAULT-VALUE}).")
    double certifyDeadline;
    @Option(names = "--spark", paramLabel = "MASTER", arity = "0..1", fallbackValue = "",
            description = "Bifurcation experiment: run its units (one per network, backend, precision and initialisation) "
                    + "as Apache Spark tasks: local[*] (the default without a value: in this process, no cluster), "
                    + "local[N], spark://host:port, yarn, k8s://...; under spark-submit without a value: its master.")
    String spark;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "7",
            description = "Seed of initialization, batch order and generated nets (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override public Integer call() throws InvalidInputException, BackendException {
        DatasetChoice choice = DatasetChoice.parse(dataset);
        if (choice == null) {
            spec.commandLine().getErr().println("abscert compare: unknown data set '" + dataset
                    + "' for --dataset (expected digits or fashion-mnist)");
            return Main.EXIT_BAD_INPUT;
        }
        if (choice == DatasetChoice.fashion_mnist && !FashionMnist.installed()) {
            spec.commandLine().getErr().println("abscert compare: " + FashionMnist.DEFAULT_DIR + ": " + FashionMnist.INSTALL_HINT);
            return Main.EXIT_BAD_INPUT;
        }
        if (!EXPERIMENTS.contains(experiment)) {
            spec.commandLine().getErr().println("abscert compare: unknown experiment '" + experiment
                    + "' for --experiment (expected one of " + String.join(", ", EXPERIMENTS) + ")");
            return Main.EXIT_BAD_INPUT;
        }
        String bad = maxPoolInits <= 0 ? "--maxpool-inits must be positive, got " + maxPoolInits
                : maxPoolExamples < CNN_BATCH ? "--maxpool-examples must be at least " + CNN_BATCH + " (one mini-batch), got " + maxPoolExamples
                : trackExamples < CNN_BATCH ? "--track-examples must be at least " + CNN_BATCH + " (one mini-batch), got " + trackExamples
                : trackEpochs <= 0 ? "--track-epochs must be positive, got " + trackEpochs
                : !(certifyDeadline > 0 && certifyDeadline <= 86_400) ? "--certify-deadline must be in (0, 86400] seconds, got " + certifyDeadline
                : null;
        if (bad != null) {
            spec.commandLine().getErr().println("abscert compare: " + bad);
            return Main.EXIT_BAD_INPUT;
        }
        if (inits <= 0) {
            spec.commandLine().getErr().println("abscert compare: --inits must be positive, got " + inits);
            return Main.EXIT_BAD_INPUT;
        }
        if (examples != null && examples < (sweep ? 1024 : 100)) {
            spec.commandLine().getErr().println("abscert compare: --examples must be at least 100 (1024 with --sweep), got " + examples);
            return Main.EXIT_BAD_INPUT;
        }
        Comparison.Options options = options(choice);
        prepareOutput(out);

        List<Backend> backends = new ArrayList<>();
        List<BackendInfo> unavailable = new ArrayList<>();
        for (BackendProvider p : Backends.providers()) {
            if (!only.isEmpty() && !only.contains(p.name())) continue;
            try {
                backends.add(p.backend());
            } catch (BackendException | RuntimeException | LinkageError e) {
                unavailable.add(new BackendInfo(p.name(), "", "", List.of(), String.valueOf(e.getMessage()), false));
            }
        }
        for (String name : only)
            if (Backends.providers().stream().noneMatch(p -> p.name().equals(name)))
                throw new BackendException("no backend named '" + name + "' (available: "
                        + String.join(", ", Backends.names()) + ")");
        if (backends.isEmpty())
            throw new BackendException("no backend could start" + (unavailable.isEmpty() ? "" : ": " + unavailable.get(0).error()));

        // The tape is the one backend whose kink rules can be configured: its relu′(0)=1 and random-mode
        // variants give the contrasts of parts 1-2, and the relu′(0) pair the sensitivity measurement.
        List<Backend> variants = new ArrayList<>();
        Comparison.RulePair pair = null;
        TapeBackend reluOne = null;
        if (backends.stream().anyMatch(b -> b.name().equals(TapeBackend.NAME))) {
            reluOne = TapeBackend.builder().name("tape-relu1").rules(TapeRules.relu0(1)).build();
            variants.add(reluOne);
            variants.add(TapeBackend.builder().name("tape-random").randomKinks(seed).build());
            // the published code's relu'(0)=1: a constant written at the kink, not a chain rule
            variants.add(TapeBackend.builder().name("tape-constant1").rules(TapeRules.constantAtKink(1)).build());
            pair = new Comparison.RulePair(TapeBackend.builder().rules(TapeRules.PYTORCH).build(), reluOne);
        }
        List<String> chosen = bifurcationBackends.isEmpty() ? DEFAULT_BIFURCATION_BACKENDS : bifurcationBackends;
        for (String name : bifurcationBackends)
            if (!name.equals("all") && backends.stream().noneMatch(b -> b.name().equals(name)))
                throw new BackendException("--bifurcation-backend: no compared backend named '" + name + "' (compared: "
                        + String.join(", ", backends.stream().map(Backend::name).toList()) + ")");
        List<Bifurcation.Subject> subjects = new ArrayList<>();
        for (Backend b : backends)
            if (chosen.contains("all") || chosen.contains(b.name()))
                subjects.add(new Bifurcation.Subject(b, Optional.ofNullable(b.name().equals(TapeBackend.NAME) ? reluOne : null)));

        List<String> cnnChosen = cnnBackends.isEmpty() ? DEFAULT_CNN_BACKENDS : cnnBackends;
        for (String name : cnnBackends)
            if (!name.equals("all") && backends.stream().noneMatch(b -> b.name().equals(name)))
                throw new BackendException("--cnn-backend: no compared backend named '" + name + "' (compared: "
                        + String.join(", ", backends.stream().map(Backend::name).toList()) + ")");
        List<Backend> cnnRunners = backends.stream().filter(b -> cnnChosen.contains("all") || cnnChosen.contains(b.name())).toList();

        ConsoleProgress progress = ConsoleProgress.onStderr();
        Certifier certifier = Certifier.withDefaults();
        Bifurcation bifurcation = new Bifurcation(bifurcationConfig(), subjects, certifier, java.util.Map.of());
        ComparisonReport report;
        try (SparkRun cluster = spark == null ? null : startSpark(spark)) {
            if (cluster != null) bifurcation.withRunner(new SparkBifurcation(cluster.context()));
            Comparison comparison = new Comparison(options, backends, variants, unavailable, pair, certifier);
            boolean all = experiment.equals("all");
            if (all || experiment.equals("bifurcation"))
                comparison = comparison.withBifurcation(bifurcation, !all);
            if (all || experiment.equals("maxpool"))
                comparison = comparison.withMaxPool(maxPoolExperiment(cnnRunners), !all);
            if (all || experiment.equals("track"))
                comparison = comparison.withTrainingTrack(trainingTrack(cnnRunners, options), !all);
            report = comparison.run(progress);
        }
        List<Path> written;
        try {
            written = ReportWriter.write(report, out);
        } catch (IOException e) {
            throw new InvalidInputException(out.toString(), "$", "cannot write the report: " + Json.ioProblem(e));
        }

        PrintWriter summary = spec.commandLine().getOut();
        summary.print(SummaryTable.render(report, Output::table));
        summary.println();
        summary.println("Report: " + out.resolve(ReportWriter.HTML).toAbsolutePath().normalize()
                + " (" + written.size() + " files; wall time " + String.format("%.1f", report.wallMillis() / 1000.0) + " s)");
        summary.flush();
        return 0;
    }

    private Comparison.Options options(DatasetChoice choice) throws InvalidInputException {
        Comparison.Options o;
        if (choice == DatasetChoice.digits) {
            var split = TrainingExperiment.holdOut(Digits.load(), 360, seed);
            Dataset train = quick ? TrainingExperiment.first(split.train(), QUICK_TRAIN) : split.train();
            Dataset test = quick ? TrainingExperiment.first(split.test(), 200) : split.test();
            o = Comparison.Options.standard("digits", train, test);
        } else {
            Dataset train = FashionMnist.load(FashionMnist.Split.TRAIN, quick ? QUICK_TRAIN : 1920);
            Dataset test = FashionMnist.load(FashionMnist.Split.TEST, quick ? 200 : 500);
            o = Comparison.Options.standard("fashion-mnist", train, test);
        }
        o = new Comparison.Options(o.dataset(), o.train(), o.test(), o.hidden(), o.batch(), o.epochs(), o.learningRate(),
                seed, o.precisions(), o.kinkNets(), o.certifyEvery(), o.reference(), false);
        return quick ? o.reduced(1, QUICK_NETS, 1) : o;
    }

    /** Fashion-MNIST when installed (784 inputs, pixel/255), the shipped digits otherwise. */
    private Bifurcation.Config bifurcationConfig() throws InvalidInputException {
        Dataset data;
        String name;
        boolean fashion = switch (bifurcationDataset) {
            case "auto" -> FashionMnist.installed();
            case "fashion-mnist" -> true;
            case "digits" -> false;
            default -> throw new InvalidInputException("--bifurcation-dataset", "$", "unknown data set '"
                    + bifurcationDataset + "' (expected auto, digits or fashion-mnist)");
        };
        if (fashion && !FashionMnist.installed())
            throw new InvalidInputException(FashionMnist.DEFAULT_DIR.toString(), "$", FashionMnist.INSTALL_HINT);
        if (fashion) {
            data = FashionMnist.load(FashionMnist.Split.TRAIN, examples == null ? DEFAULT_FASHION_EXAMPLES : examples);
            name = "fashion-mnist";
        } else {
            Dataset all = Digits.load();
            data = examples == null ? all : TrainingExperiment.first(all, examples);
            name = "digits";
        }
        // --quick (the smoke test): one initialisation over three mini-batches
        Dataset used = quick ? TrainingExperiment.first(data, sweep ? 1024 : QUICK_BIFURCATION_EXAMPLES) : data;
        int k = quick ? 1 : inits;
        List<Bifurcation.Network> networks = sweep ? Bifurcation.Network.sweeps() : List.of(Bifurcation.Network.MAIN);
        if (networks.stream().anyMatch(n -> n.batch() > used.size()))
            throw new InvalidInputException(name, "$", "the data set has " + used.size() + " examples, fewer than the largest "
                    + "mini-batch " + networks.stream().mapToInt(Bifurcation.Network::batch).max().orElse(0));
        return new Bifurcation.Config(name, used, networks, k, seed, List.of(Precision.values()), CERTIFY_LIMIT, sweep);
    }

    /** Fashion-MNIST when installed (or asked for), the shipped digits otherwise: as for part 5. */
    private boolean cnnFashion() throws InvalidInputException {
        boolean fashion = switch (bifurcationDataset) {
            case "auto" -> FashionMnist.installed();
            case "fashion-mnist" -> true;
            case "digits" -> false;
            default -> throw new InvalidInputException("--bifurcation-dataset", "$", "unknown data set '"
                    + bifurcationDataset + "' (expected auto, digits or fashion-mnist)");
        };
        if (fashion && !FashionMnist.installed())
            throw new InvalidInputException(FashionMnist.DEFAULT_DIR.toString(), "$", FashionMnist.INSTALL_HINT);
        return fashion;
    }

    /**
     * Part 6: the LeNet-style CNN with 2×2/2 and overlapping 3×3/2 pooling; the tape with its three tie rules
     * (first cell — its default — even split, all cells), every other runner with its own rule.
     */
    private MaxPoolExperiment maxPoolExperiment(List<Backend> runners) throws InvalidInputException {
        boolean fashion = cnnFashion();
        int n = quick ? QUICK_CNN_EXAMPLES : maxPoolExamples;
        Dataset data = fashion ? FashionMnist.load(FashionMnist.Split.TRAIN, n) : TrainingExperiment.first(Digits.load(), n);
        if (data.size() < CNN_BATCH)
            throw new InvalidInputException(fashion ? "fashion-mnist" : "digits", "$", "the data set has " + data.size()
                    + " examples, fewer than one mini-batch of " + CNN_BATCH);
        List<MaxPoolExperiment.Subject> subjects = new ArrayList<>();
        for (Backend b : runners) {
            if (!b.name().equals(TapeBackend.NAME)) {
                subjects.add(new MaxPoolExperiment.Subject(b, List.of()));
                continue;
            }
            List<MaxPoolExperiment.Rule> rules = new ArrayList<>();
            for (TapeRules.PoolTie t : TapeRules.PoolTie.values())
                rules.add(new MaxPoolExperiment.Rule(tieLabel(t), t == TapeRules.PoolTie.FIRST ? b
                        : TapeBackend.builder().name("tape-pool-" + t.name().toLowerCase(java.util.Locale.ROOT))
                                .rules(TapeRules.PYTORCH.withPoolTie(t)).build()));
            subjects.add(new MaxPoolExperiment.Subject(b, rules));
        }
        return new MaxPoolExperiment(new MaxPoolExperiment.Config(fashion ? "fashion-mnist" : "digits", data,
                // --quick (the smoke test): one mini-batch of the non-overlapping network
                quick ? List.of(MaxPoolExperiment.Network.LENET) : List.of(MaxPoolExperiment.Network.LENET, MaxPoolExperiment.Network.OVERLAP),
                CNN_BATCH, quick ? 1 : maxPoolInits,
                seed, List.of(Precision.values()), quick ? 1 : MAXPOOL_CERTIFY_LIMIT, deadline(), CNN_WORK_CAP), subjects);
    }

    /** The probe's name of a tape tie rule. */
    static String tieLabel(TapeRules.PoolTie t) {
        return switch (t) {
            case FIRST -> "first cell";
            case EVEN -> "even split";
            case ALL -> "all cells";
        };
    }

    private java.time.Duration deadline() { return java.time.Duration.ofMillis(Math.max(1, Math.round(certifyDeadline * 1000))); }

    /** Part 7: the MLP of part 3 and the LeNet-style CNN, in float32 and bfloat16, on the runners. */
    private TrainingTrack trainingTrack(List<Backend> runners, Comparison.Options options) throws InvalidInputException {
        boolean fashion = cnnFashion();
        int n = quick ? QUICK_CNN_EXAMPLES : trackExamples, test = quick ? 50 : TRACK_TEST;
        Dataset train, held;
        if (fashion) {
            train = FashionMnist.load(FashionMnist.Split.TRAIN, n);
            held = FashionMnist.load(FashionMnist.Split.TEST, test);
        } else {
            var split = TrainingExperiment.holdOut(Digits.load(), Math.min(test, 360), seed);
            train = TrainingExperiment.first(split.train(), n);
            held = split.test();
        }
        if (train.size() < CNN_BATCH)
            throw new InvalidInputException(fashion ? "fashion-mnist" : "digits", "$", "the data set has " + train.size()
                    + " training examples, fewer than one mini-batch of " + CNN_BATCH);
        return new TrainingTrack(new TrainingTrack.Config(fashion ? "fashion-mnist" : "digits", train, held,
                List.of(TrainingTrack.Model.mlp(options.hidden()), TrainingTrack.Model.cnn(MaxPoolExperiment.Network.LENET)),
                CNN_BATCH, quick ? 1 : trackEpochs, TRACK_LEARNING_RATE, seed, List.of(Precision.FLOAT32, Precision.BFLOAT16),
                quick ? 1 : TRACK_CERTIFY_EVERY, deadline(), CNN_WORK_CAP), runners);
    }

    /** A Spark context for {@code --spark}; a master Spark does not accept is bad input. */
    private static SparkRun startSpark(String master) throws InvalidInputException {
        try {
            return SparkRun.start(master);
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException("--spark", "$", e.getMessage());
        }
    }

    /** Fails early, before minutes of work, when the output directory cannot be created or written. */
    private static void prepareOutput(Path dir) throws InvalidInputException {
        if (Files.exists(dir) && !Files.isDirectory(dir))
            throw new InvalidInputException(dir.toString(), "$", "exists and is not a directory (--out names the report's directory)");
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new InvalidInputException(dir.toString(), "$", "cannot create the output directory: " + Json.ioProblem(e));
        }
        if (!Files.isWritable(dir)) throw new InvalidInputException(dir.toString(), "$", "the output directory is not writable");
    }
}
