package org.abscert.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "certify", description = "Not implemented yet.")
final class CertifyCommand implements Callable<Integer> {
    @Override public Integer call() {
        System.err.println("abscert certify: not implemented yet");
        return 2;
    }
}
