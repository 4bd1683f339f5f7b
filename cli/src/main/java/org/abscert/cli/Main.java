package org.abscert.cli;

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
        return new CommandLine(new Main()).execute(args);
    }

    @Override public void run() {
        spec.commandLine().usage(System.out);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"abscert " + (v == null ? "development" : v)};
        }
    }
}
