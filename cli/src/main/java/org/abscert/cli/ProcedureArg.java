package org.abscert.cli;

import java.nio.file.Path;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.ir.Procedure;
import picocli.CommandLine.Parameters;

/** The {@code PROC} positional parameter of the commands that work on a procedure file (a picocli mixin). */
final class ProcedureArg {

    @Parameters(index = "0", paramLabel = "PROC", description = "Procedure file (abscert/procedure@1).")
    Path file;

    /** Reads and validates the procedure. */
    Procedure load() throws InvalidInputException {
        return Inputs.procedure(file);
    }
}
