package org.abscert.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "eval", description = "Not implemented yet.")
final class EvalCommand implements Callable<Integer> {
    @Override public Integer call() {
        System.err.println("abscert eval: not implemented yet");
        return 2;
    }
}
