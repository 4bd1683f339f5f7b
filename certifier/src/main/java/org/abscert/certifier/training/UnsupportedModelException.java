package org.abscert.certifier.training;

/**
 * Thrown by a training listener under {@link Policy#FAIL} or {@link Policy#REPAIR} when it cannot certify the
 * model it is attached to (a layer or block without a procedure counterpart, an unsupported data type, a
 * loss it cannot read). Under {@link Policy#OBSERVE} and {@link Policy#WARN} the same finding is logged once
 * and the listener stays passive instead (see {@link StepCertifier#unsupported}).
 */
public final class UnsupportedModelException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public UnsupportedModelException(String message) {
        super(message);
    }
}
