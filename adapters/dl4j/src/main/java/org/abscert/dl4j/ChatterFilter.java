package org.abscert.dl4j;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.Charset;

/**
 * SameDiff announces every op it differentiates with {@code System.out.println("Added differentiated op …")}
 * (ND4J 1.0.0-M2.1), which lands in the standard output of whatever program uses the backend — a JSON
 * report, a training log. While SameDiff builds its gradient function this filter stands in for
 * {@code System.out}: it drops exactly those lines and forwards every other line unchanged, so output of
 * other threads is not lost.
 */
final class ChatterFilter extends OutputStream {
    static final String CHATTER = "Added differentiated op ";

    private final PrintStream target;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();

    private ChatterFilter(PrintStream target) { this.target = target; }

    /** Runs the work with SameDiff's chatter removed from {@code System.out}. */
    static <T, E extends Exception> T quiet(Work<T, E> work) throws E {
        PrintStream original = System.out;
        ChatterFilter filter = new ChatterFilter(original);
        PrintStream stand = new PrintStream(filter, true, Charset.defaultCharset());
        System.setOut(stand);
        try {
            return work.run();
        } finally {
            System.setOut(original);
            stand.flush();
            filter.flushLine();
        }
    }

    @FunctionalInterface
    interface Work<T, E extends Exception> {
        T run() throws E;
    }

    @Override public synchronized void write(int b) {
        line.write(b);
        if (b == '\n') flushLine();
    }

    private synchronized void flushLine() {
        if (line.size() == 0) return;
        String s = line.toString(Charset.defaultCharset());
        line.reset();
        if (!s.startsWith(CHATTER)) {
            target.print(s);
            target.flush();
        }
    }
}
