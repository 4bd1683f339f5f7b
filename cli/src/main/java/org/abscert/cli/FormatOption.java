package org.abscert.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.function.Supplier;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The {@code --format text|json} option and the printing of a command's result in that format (a picocli
 * mixin). The result goes to the command's picocli writer, which tests capture. Nothing else writes to
 * standard output while a command runs: SameDiff's "Added differentiated op" lines are dropped where they
 * arise, in the DL4J adapter, so that {@code --format json} output is a single JSON document.
 */
final class FormatOption {

    @Spec(Spec.Target.MIXEE) CommandSpec command;

    @Option(names = "--format", paramLabel = "text|json", defaultValue = "text",
            description = "Output format: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Output.Format format;

    /**
     * Prints the result on standard output: the JSON document, or the text as it is. Only the chosen form is
     * built.
     */
    void print(Supplier<? extends JsonNode> json, Supplier<String> text) {
        PrintWriter out = command.commandLine().getOut();
        if (format == Output.Format.json) {
            Output.json(out, json.get());
        } else {
            out.print(text.get());
            out.flush();
        }
    }
}
