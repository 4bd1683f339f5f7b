package org.abscert.cli;

import java.time.Duration;
import org.abscert.certifier.Certifier;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The certifier's bounds on one command (a picocli mixin): {@code --timeout} (wall clock per certify or clarke
 * call) and {@code --work-cap} (units of enumeration work). Reaching either gives UNDECIDED WORK_CAP (exit 3)
 * with what was established so far, never a guess.
 */
final class LimitsOption {
    /** Default wall-clock budget of a command-line certification. */
    static final int DEFAULT_TIMEOUT_SECONDS = 40;

    @Spec(Spec.Target.MIXEE) CommandSpec command;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "" + DEFAULT_TIMEOUT_SECONDS,
            description = "Wall-clock budget of the certifier in seconds (default: ${DEFAULT-VALUE}; 0: none). When it passes the answer is UNDECIDED WORK_CAP.")
    double timeoutSeconds;

    @Option(names = "--work-cap", paramLabel = "UNITS", defaultValue = "" + Certifier.DEFAULT_WORK_CAP,
            description = "Enumeration work allowed, in units of about 0.1 ms (default: ${DEFAULT-VALUE}).")
    long workCap;

    Certifier certifier() {
        if (!(timeoutSeconds >= 0) || timeoutSeconds > 1e9)
            throw new ParameterException(command.commandLine(), "--timeout must be a number of seconds from 0 to 1e9, not " + timeoutSeconds);
        if (workCap <= 0) throw new ParameterException(command.commandLine(), "--work-cap must be positive, not " + workCap);
        Certifier.Builder b = Certifier.builder().workCap(workCap);
        if (timeoutSeconds > 0) b.deadline(Duration.ofMillis(Math.max(1, Math.round(timeoutSeconds * 1000))));
        return b.build();
    }
}
