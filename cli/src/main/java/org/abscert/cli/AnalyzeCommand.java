package org.abscert.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "analyze", description = "Not implemented yet.")
final class AnalyzeCommand implements Callable<Integer> {
    @Override public Integer call() {
        System.err.println("abscert analyze: not implemented yet");
        return 2;
    }
}
