package org.abscert.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "compare", description = "Not implemented yet.")
final class CompareCommand implements Callable<Integer> {
    @Override public Integer call() {
        System.err.println("abscert compare: not implemented yet");
        return 2;
    }
}
