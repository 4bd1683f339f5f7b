package org.abscert.spi.ir;

import java.util.Objects;

/** A named input of a procedure: a parameter (differentiated) or data (constant). */
public record TensorDecl(String name, Shape shape) {
    public TensorDecl {
        Objects.requireNonNull(name);
        Objects.requireNonNull(shape);
    }
}
