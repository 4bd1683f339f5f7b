package org.abscert.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "probe", description = "Not implemented yet.")
final class ProbeCommand implements Callable<Integer> {
    @Override public Integer call() {
        System.err.println("abscert probe: not implemented yet");
        return 2;
    }
}
