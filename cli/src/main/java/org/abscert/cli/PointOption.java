package org.abscert.cli;

import java.nio.file.Path;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.json.PointJson;
import picocli.CommandLine.Option;

/** The required {@code --point} option: the parameter and data values a command evaluates at (a picocli mixin). */
final class PointOption {

    @Option(names = "--point", required = true, paramLabel = "P", description = "Point file: parameter and data values.")
    Path file;

    /** Reads the point and checks it against the procedure's tensors. */
    PointJson.Parsed load(Procedure procedure) throws InvalidInputException {
        return Inputs.point(file, procedure);
    }
}
