package org.abscert.dl4j;

import org.abscert.spi.BackendException;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** Loading of ND4J's native backend, shared by the DL4J backends. */
final class Dl4jRuntime {
    /** The DL4J / ND4J release these backends are built against. */
    static final String VERSION = "1.0.0-M2.1";

    private static volatile boolean started;

    private Dl4jRuntime() {}

    /** Loads ND4J's native library (from the nd4j-native jar) once; reports a failure as a BackendException. */
    static void start(String backend) throws BackendException {
        if (started) return;
        synchronized (Dl4jRuntime.class) {
            if (started) return;
            try {
                Nd4j.scalar(DataType.DOUBLE, 0.0).addi(1.0);
                started = true;
            } catch (Throwable t) {
                throw new BackendException("backend " + backend + ": ND4J's native library did not load (" + t + ")", t);
            }
        }
    }
}
