package org.abscert.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "clarke", description = "Not implemented yet.")
final class ClarkeCommand implements Callable<Integer> {
    @Override public Integer call() {
        System.err.println("abscert clarke: not implemented yet");
        return 2;
    }
}
