package org.abscert.spi;

/**
 * A backend could not do what was asked: it lacks an op or a precision, its native library did not load,
 * or the framework failed. The message says which, in words a user understands. A backend never returns
 * a wrong number in place of throwing this.
 */
public class BackendException extends Exception {
    private static final long serialVersionUID = 1L;

    public BackendException(String message) { super(message); }

    public BackendException(String message, Throwable cause) { super(message, cause); }
}
