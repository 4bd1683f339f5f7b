package org.abscert.spi;

import java.util.Objects;

/**
 * A problem in input that a user supplied (a procedure, point or gradient file, or a model handed to an
 * importer). The message always names where the problem is and what is wrong, in the form
 * {@code FILE: JSON-PATH: PROBLEM}, so that a command-line tool can print it as one line.
 */
public final class InvalidInputException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String source;
    private final String path;
    private final String problem;

    /**
     * @param source  the file (or other origin, such as {@code "<builder>"}) the input came from
     * @param path    a JSON path such as {@code $.nodes[3].args[1]}; {@code "$"} for the whole document
     * @param problem what is wrong, in words a user understands
     */
    public InvalidInputException(String source, String path, String problem) {
        super(Objects.requireNonNull(source) + ": " + Objects.requireNonNull(path) + ": " + Objects.requireNonNull(problem));
        this.source = source;
        this.path = path;
        this.problem = problem;
    }

    public String source() { return source; }

    public String path() { return path; }

    public String problem() { return problem; }

    /** The same problem attributed to another source (for example once the file name is known). */
    public InvalidInputException withSource(String newSource) {
        return new InvalidInputException(newSource, path, problem);
    }
}
