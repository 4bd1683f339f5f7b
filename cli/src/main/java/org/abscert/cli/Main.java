package org.abscert.cli;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import org.abscert.spi.BackendException;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.json.Json;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code abscert} command. Exit codes (DESIGN.md): 0 all certified, 1 some gradient refuted,
 * 3 undecided (none refuted), 2 bad input or usage (one line on stderr, never a stack trace).
 */
@Command(name = "abscert", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Certifies that AD backends return Clarke generalized gradients on abs-smooth models.",
        footer = {"", "Exit codes: 0 certified (or done), 1 refuted, 3 undecided, 2 bad input or usage.",
                "", "Limits on input (more is refused: exit 2, naming file and JSON path):",
                "  files: " + (Json.MAX_FILE_BYTES >> 20) + " MiB, " + Json.MAX_VALUES + " JSON values, nesting "
                        + Json.MAX_NESTING + ", numbers " + Json.MAX_NUMBER_LENGTH + " characters",
                "  procedures: " + Procedure.MAX_NODES + " nodes, " + Shape.MAX_ELEMENTS + " elements per tensor, "
                        + Shape.MAX_ELEMENTS + " switches,",
                "  " + Procedure.MAX_TOTAL_ELEMENTS + " elements in all tensors (loading stays under 1 GiB of heap)"},
        subcommands = {BackendsCommand.class, EvalCommand.class, CertifyCommand.class, ClarkeCommand.class,
                AnalyzeCommand.class, ProbeCommand.class, CompareCommand.class, BenchCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    private static final java.util.List<String> QUIET_LOGGERS = java.util.List.of(
            "ai.djl.util.cuda.CudaUtils",
            "org.nd4j.imports.converters.ImportClassMapping",
            "org.nd4j.autodiff.functions.DifferentialFunction",
            // compare --spark: Spark's and Hadoop's start-up notices (host name, native Hadoop library)
            "org.apache.spark", "org.apache.hadoop");

    /** Runs the command line and returns the exit code (for tests and the launcher). */
    public static int run(String... args) {
        // frameworks log through SLF4J; keep their start-up chatter off the terminal unless asked for
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null)
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        // warnings every start prints that say nothing about the user's run: DJL finding no GPU on a CPU
        // machine, ND4J's duplicate TensorFlow op mappings, SameDiff's unused labelsSmoothing property
        for (String quiet : QUIET_LOGGERS) {
            String key = "org.slf4j.simpleLogger.log." + quiet;
            if (System.getProperty(key) == null) System.setProperty(key, "error");
        }
        // ojAlgo (the certifier's LP solver) prints an eight-line hardware-profile notice on standard output
        // when it does not recognise the machine, which would corrupt --format json; this is its own switch
        if (System.getProperty("shut.up.ojAlgo") == null) System.setProperty("shut.up.ojAlgo", "true");
        CommandLine cl = new CommandLine(new Main());
        // registered before parsing, so every subcommand's file options and PROC go through it
        cl.registerConverter(Path.class, Main::path);
        cl.setExecutionExceptionHandler(Main::onException);
        cl.setParameterExceptionHandler(Main::onUsageError);
        try {
            return cl.execute(args);
        } catch (LinkageError e) {
            // picocli hands only Exceptions to the handler; a native library that fails to load is an Error
            cl.getErr().println("abscert: a backend's native library failed to load: " + oneLine(e.toString()));
            cl.getErr().flush();
            return EXIT_BAD_INPUT;
        } catch (OutOfMemoryError | StackOverflowError e) {
            cl.getErr().println("abscert: " + oneLine(e.toString()) + " (for more memory set ABSCERT_JAVA_OPTS=-Xmx…)");
            cl.getErr().flush();
            return EXIT_INTERNAL;
        }
    }

    /** A usage error (unknown option, missing argument, bad value) is one line on stderr and exit 2. */
    private static int onUsageError(CommandLine.ParameterException e, String[] args) {
        CommandLine cl = e.getCommandLine();
        String cmd = cl.getCommandSpec().qualifiedName();
        cl.getErr().println(cmd + ": " + oneLine(e.getMessage()) + " (see '" + cmd + " --help')");
        cl.getErr().flush();
        return EXIT_BAD_INPUT;
    }

    /** Messages from libraries may span lines; the contract is one line on stderr. */
    static String oneLine(String s) {
        return s == null ? "" : s.strip().replaceAll("\\s*\\R\\s*", " ");
    }

    /** {@code abscert} without a command is a usage error: the usage goes to stderr, and the exit code is 2. */
    @Override public void run() {
        spec.commandLine().usage(spec.commandLine().getErr());
        spec.commandLine().getErr().flush();
        throw new NoCommand();
    }

    /** Signals {@link #run()}'s usage error to {@link #onException} without a message of its own. */
    private static final class NoCommand extends RuntimeException {
        private static final long serialVersionUID = 1L;

        NoCommand() { super(null, null, false, false); }
    }

    /**
     * Every file name on the command line: an empty name would silently mean the current directory (so
     * {@code compare --out ""} would write there), and a name the file system cannot represent is a usage
     * error, not an internal one.
     */
    static Path path(String value) {
        if (value == null || value.isBlank())
            throw new CommandLine.TypeConversionException("an empty file name");
        try {
            return Path.of(value);
        } catch (InvalidPathException e) {
            throw new CommandLine.TypeConversionException("not a valid file name (" + oneLine(e.getReason()) + ")");
        }
    }

    /**
     * Bad input and backend failures are one line on stderr and exit 2; anything else is a defect, reported
     * in one line too (with the exception type) and exit 4.
     */
    private static int onException(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
        if (e instanceof NoCommand) return EXIT_BAD_INPUT;
        String cmd = parsed.subcommand() == null ? "abscert" : "abscert " + parsed.subcommand().commandSpec().name();
        if (e instanceof InvalidInputException || e instanceof BackendException) {
            cl.getErr().println(cmd + ": " + oneLine(e.getMessage()));
            cl.getErr().flush();
            return EXIT_BAD_INPUT;
        }
        cl.getErr().println(cmd + ": internal error: " + oneLine(e.toString()));
        cl.getErr().flush();
        return EXIT_INTERNAL;
    }

    public static final int EXIT_CERTIFIED = 0;
    public static final int EXIT_REFUTED = 1;
    public static final int EXIT_BAD_INPUT = 2;
    public static final int EXIT_UNDECIDED = 3;
    public static final int EXIT_INTERNAL = 4;

    static final class Version implements CommandLine.IVersionProvider {
        @Override public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"abscert " + (v == null ? "development" : v)};
        }
    }
}
