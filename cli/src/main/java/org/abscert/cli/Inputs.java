package org.abscert.cli;

import java.nio.file.Path;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.json.GradientJson;
import org.abscert.spi.json.PointJson;
import org.abscert.spi.json.ProcedureJson;

/** Loading of the files named on the command line; every problem is an {@link InvalidInputException}. */
final class Inputs {
    private Inputs() {}

    static Procedure procedure(Path file) throws InvalidInputException {
        return ProcedureJson.read(file);
    }

    static PointJson.Parsed point(Path file, Procedure procedure) throws InvalidInputException {
        return PointJson.read(file, procedure);
    }

    static double[] gradient(Path file, Procedure procedure) throws InvalidInputException {
        return GradientJson.read(file, procedure);
    }
}
