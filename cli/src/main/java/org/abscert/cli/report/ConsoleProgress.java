package org.abscert.cli.report;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.abscert.experiments.Progress;

/**
 * Shows a comparison's progress on stderr: a progress bar when stderr is a terminal, otherwise plain lines
 * (one per phase and at most one per tenth of the work), so that logs and pipes stay readable.
 */
public final class ConsoleProgress implements Progress {
    private final PrintStream err;
    private final boolean terminal;
    private ProgressBar bar;
    private long total;
    private long done;
    private String lastPhase = "";
    private long lastTenth = -1;
    private long startNanos;

    /** @param terminal whether to draw a bar (see {@link #stderrIsTerminal()}) */
    public ConsoleProgress(PrintStream err, boolean terminal) {
        this.err = err;
        this.terminal = terminal;
    }

    /** Progress on {@link System#err}, with a bar only when stderr is a terminal. */
    public static ConsoleProgress onStderr() { return new ConsoleProgress(System.err, stderrIsTerminal()); }

    /**
     * Whether file descriptor 2 is a terminal. Java can only tell for the console as a whole
     * ({@link System#console()} looks at stdin and stdout), so this reads where fd 2 points on Linux and
     * falls back to the console test elsewhere.
     */
    public static boolean stderrIsTerminal() {
        Path fd2 = Path.of("/proc/self/fd/2");
        try {
            if (Files.exists(fd2, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                String target = Files.readSymbolicLink(fd2).toString();
                return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target.equals("/dev/console");
            }
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            // fall through to the portable approximation
        }
        return System.console() != null && !"dumb".equals(System.getenv("TERM"));
    }

    @Override public void begin(long totalUnits) {
        total = Math.max(1, totalUnits);
        done = 0;
        startNanos = System.nanoTime();
        if (terminal) {
            bar = new ProgressBarBuilder().setTaskName("compare").setInitialMax(total)
                    .setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK).setUpdateIntervalMillis(250)
                    .setConsumer(new ConsoleProgressBarConsumer(err)).setMaxRenderedLength(110)
                    .setEtaFunction(s -> s.getCurrent() < 20 ? java.util.Optional.empty()
                            : java.util.Optional.of(Duration.ofMillis(
                                    (long) (Duration.between(s.getStartInstant(), java.time.Instant.now()).toMillis()
                                            * (double) (s.getMax() - s.getCurrent()) / s.getCurrent()))))
                    .build();
        } else {
            err.println("abscert compare: " + total + " work units");
        }
    }

    @Override public void step(String label) {
        done++;
        String phase = label;
        if (bar != null) {
            bar.step();
            if (!phase.equals(lastPhase)) bar.setExtraMessage(label);
            if (done == total) bar.setExtraMessage("writing the report");
        } else {
            long tenth = done * 10 / total;
            if (!phase.equals(lastPhase) || tenth != lastTenth) {
                err.printf("abscert compare: %3d%% %s%s%n", done * 100 / total, label, estimate());
                lastTenth = tenth;
            }
        }
        lastPhase = phase;
    }

    /**
     * ", about N s left" from the rate so far (units differ in cost between parts, so this is a rough guide),
     * or "" before a tenth of the work is done.
     */
    private String estimate() {
        if (done * 10 < total || done >= total) return "";
        double elapsed = (System.nanoTime() - startNanos) / 1e9;
        long left = Math.round(elapsed * (total - done) / done);
        return left >= 120 ? ", about " + (left + 30) / 60 + " min left" : ", about " + left + " s left";
    }

    @Override public void end() {
        if (bar != null) {
            bar.close();
            bar = null;
        } else if (total > 0) {
            err.println("abscert compare: done");
        }
    }
}
