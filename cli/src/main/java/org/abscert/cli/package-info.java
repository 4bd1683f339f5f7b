/**
 * The {@code abscert} command line (picocli): {@link org.abscert.cli.Main} with one class per subcommand.
 *
 * <p>Contract shared by every command (DESIGN.md): exit 0 when everything is certified (or the command
 * succeeded), 1 when some gradient is refuted, 3 when undecided with none refuted, 2 for bad input or usage.
 * Commands let {@link org.abscert.spi.InvalidInputException} and {@link org.abscert.spi.BackendException}
 * propagate; {@code Main} prints their message as one line on stderr, never a stack trace. Results go to
 * {@code spec.commandLine().getOut()} through the helpers of {@code Output} (JSON with {@code null} for
 * non-finite numbers, aligned tables, compact numbers); {@code Inputs} loads the files named on the command
 * line. {@code Main.run(String...)} returns the exit code instead of exiting, for tests.
 *
 * <p>Options that mean the same in several commands are declared once, as picocli mixins:
 * {@code ProcedureArg} ({@code PROC}), {@code PointOption} ({@code --point}) and {@code FormatOption}
 * ({@code --format}, which also prints the result in the chosen form). {@code --backend} and {@code --dtype}
 * differ in meaning and default from command to command, so each command declares them with its own help;
 * {@code BackendChoice} does what they share: parsing {@code --dtype}, resolving {@code --backend}, and
 * probing each backend's kink rules once per run.
 */
package org.abscert.cli;
