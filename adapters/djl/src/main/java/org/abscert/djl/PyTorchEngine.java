package org.abscert.djl;

import ai.djl.engine.Engine;
import org.abscert.spi.BackendException;

/**
 * Starts DJL's PyTorch engine from the native libraries packed in the {@code pytorch-native-cpu} and
 * {@code pytorch-jni} jars. DJL would otherwise download a matching libtorch on first use; abscert never
 * downloads anything, so {@code ai.djl.offline} is set to {@code true} unless the user set it.
 */
public final class PyTorchEngine {
    /** DJL's name of the engine. */
    public static final String ENGINE_NAME = "PyTorch";
    static final String OFFLINE_PROPERTY = "ai.djl.offline";

    private static Engine engine;
    private static BackendException failure;

    private PyTorchEngine() {}

    /**
     * The PyTorch engine, started on first call. A failure is remembered: later calls throw the same
     * message without trying again, since a missing native library does not appear during a run.
     *
     * @throws BackendException when the engine or its native library cannot be loaded offline
     */
    public static synchronized Engine get() throws BackendException {
        if (engine != null) return engine;
        if (failure != null) throw new BackendException(failure.getMessage(), failure.getCause());
        if (System.getProperty(OFFLINE_PROPERTY) == null) System.setProperty(OFFLINE_PROPERTY, "true");
        try {
            if (!Engine.getAllEngines().contains(ENGINE_NAME))
                throw new IllegalStateException("DJL found no PyTorch engine provider (is ai.djl.pytorch:pytorch-engine on the class path?)");
            Engine e = Engine.getEngine(ENGINE_NAME);
            // Loading the native library is lazy in some DJL versions; creating a manager forces it here so a
            // failure surfaces now and not in the middle of an evaluation.
            e.newBaseManager().close();
            engine = e;
            return e;
        } catch (RuntimeException | LinkageError e) {
            failure = new BackendException("djl-pytorch: the PyTorch engine could not start offline ("
                    + describe(e) + "). abscert loads libtorch only from the "
                    + "ai.djl.pytorch:pytorch-native-cpu:2.7.1:linux-x86_64 and pytorch-jni:2.7.1-0.36.0 jars and never "
                    + "downloads it; put both on the class path (" + OFFLINE_PROPERTY + "="
                    + System.getProperty(OFFLINE_PROPERTY) + ")", e);
            throw new BackendException(failure.getMessage(), e);
        }
    }

    /** The exception and its root cause, e.g. "EngineException: Failed to save pytorch index file (Offline mode is enabled.)". */
    private static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        String s = e.getClass().getSimpleName() + ": " + e.getMessage();
        return root == e ? s : s + " (" + root.getMessage() + ")";
    }

    /** {@code <DJL version> (PyTorch <libtorch version>)}, e.g. {@code 0.36.0 (PyTorch 2.7.1)}. */
    static String version(Engine e) {
        return Engine.getDjlVersion() + " (PyTorch " + e.getVersion() + ")";
    }
}
