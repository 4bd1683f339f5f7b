package org.abscert.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "backends", description = "Not implemented yet.")
final class BackendsCommand implements Callable<Integer> {
    @Override public Integer call() {
        System.err.println("abscert backends: not implemented yet");
        return 2;
    }
}
