package org.abscert.cli;

import org.abscert.spi.BackendException;
import org.abscert.spi.InvalidInputException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code abscert} command. Exit codes (DESIGN.md): 0 all certified, 1 some gradient refuted,
 * 3 undecided (none refuted), 2 bad input or usage (one line on stderr, never a stack trace).
 */
@Command(name = "abscert", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Certifies that AD backends return Clarke generalized gradients on abs-smooth models.",
        subcommands = {BackendsCommand.class, EvalCommand.class, CertifyCommand.class, ClarkeCommand.class,
                AnalyzeCommand.class, ProbeCommand.class, CompareCommand.class, BenchCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (for tests and the launcher). */
    public static int run(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler(Main::onException);
        return cl.execute(args);
    }

    @Override public void run() {
        spec.commandLine().usage(System.out);
    }

    /**
     * Bad input and backend failures are one line on stderr and exit 2; anything else is a defect, reported
     * in one line too (with the exception type) and exit 4.
     */
    private static int onException(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
        String cmd = parsed.subcommand() == null ? "abscert" : "abscert " + parsed.subcommand().commandSpec().name();
        if (e instanceof InvalidInputException || e instanceof BackendException) {
            cl.getErr().println(cmd + ": " + e.getMessage());
            return EXIT_BAD_INPUT;
        }
        cl.getErr().println(cmd + ": internal error: " + e);
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
