package org.abscert.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.abscert.certifier.Certifier;
import org.abscert.certifier.compare.Comparison;
import org.abscert.certifier.compare.ComparisonReport;
import org.abscert.certifier.compare.ComparisonReport.BackendInfo;
import org.abscert.certifier.compare.TrainingExperiment;
import org.abscert.cli.report.ConsoleProgress;
import org.abscert.cli.report.ReportWriter;
import org.abscert.cli.report.SummaryTable;
import org.abscert.spi.Backend;
import org.abscert.spi.BackendException;
import org.abscert.spi.BackendProvider;
import org.abscert.spi.Backends;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.data.Dataset;
import org.abscert.spi.data.Digits;
import org.abscert.spi.data.FashionMnist;
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
                        + "experiment on a 128-128 ReLU MLP in float32 and float64; timing as ratios to the tape.",
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
        if (backends.stream().anyMatch(b -> b.name().equals(TapeBackend.NAME))) {
            TapeBackend reluOne = TapeBackend.builder().name("tape-relu1").rules(TapeRules.relu0(1)).build();
            variants.add(reluOne);
            variants.add(TapeBackend.builder().name("tape-random").randomKinks(seed).build());
            pair = new Comparison.RulePair(TapeBackend.builder().rules(TapeRules.PYTORCH).build(), reluOne);
        }

        ConsoleProgress progress = ConsoleProgress.onStderr();
        ComparisonReport report =
                new Comparison(options, backends, variants, unavailable, pair, Certifier.withDefaults()).run(progress);
        List<Path> written;
        try {
            written = ReportWriter.write(report, out);
        } catch (IOException e) {
            throw new InvalidInputException(out.toString(), "$", "cannot write the report: " + e.getMessage());
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

    /** Fails early, before minutes of work, when the output directory cannot be created or written. */
    private static void prepareOutput(Path dir) throws InvalidInputException {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new InvalidInputException(dir.toString(), "$", "cannot create the output directory: " + e.getMessage());
        }
        if (!Files.isWritable(dir)) throw new InvalidInputException(dir.toString(), "$", "the output directory is not writable");
    }
}
