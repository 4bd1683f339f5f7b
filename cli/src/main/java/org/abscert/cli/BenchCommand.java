package org.abscert.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "bench", description = "Not implemented yet.")
final class BenchCommand implements Callable<Integer> {
    @Override public Integer call() {
        System.err.println("abscert bench: not implemented yet");
        return 2;
    }
}
