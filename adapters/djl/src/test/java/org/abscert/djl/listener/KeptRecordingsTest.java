package org.abscert.djl.listener;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.abscert.djl.PyTorchEngine;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The recordings an asynchronous check keeps as PyTorch tensors: their values survive the batch's manager, the copy
 * reads them into the array it is given, and every kept handle is closed — after its copy, when a copy before it
 * fails, and when the check does not run.
 */
class KeptRecordingsTest {
    static NDManager manager;

    @BeforeAll static void start() throws Exception {
        Engine engine = PyTorchEngine.get();
        manager = engine.newBaseManager();
    }

    @AfterAll static void stop() { manager.close(); }

    /** A kept handle to a tensor of the batch's manager, as {@code ActivationRecorders.keep} makes one. */
    static ActivationRecorders.Recorded kept(NDManager batch, float... values) {
        return new ActivationRecorders.Recorded(null, null, ActivationRecorders.handle(batch.create(values)));
    }

    @Test
    void aKeptTensorOutlivesTheBatchAndIsClosedByItsCopy() {
        ActivationRecorders.Recorded r;
        try (NDManager batch = manager.newSubManager()) {
            r = kept(batch, 1f, -2f, 0f);
        }
        NDArray handle = r.kept();
        float[] into = new float[3];
        ActivationRecorders.Recorded c = r.copied(into);
        assertSame(into, c.f());
        assertArrayEquals(new float[] {1f, -2f, 0f}, c.f());
        assertNull(c.kept());
        assertTrue(handle.isReleased(), "closed after the copy");
    }

    @Test
    void everyKeptTensorIsClosedWhenACopyFailsOrNoCheckRuns() {
        ActivationRecorders.Recorded[] z;
        try (NDManager batch = manager.newSubManager()) {
            z = new ActivationRecorders.Recorded[] {kept(batch, 1f), kept(batch, 2f, 3f), kept(batch, 4f)};
        }
        NDArray[] handles = {z[0].kept(), z[1].kept(), z[2].kept()};
        z[1].kept().close();                                      // its copy fails
        float[][] into = new float[3][];
        assertThrows(RuntimeException.class, () -> ActivationRecorders.copyKept(z, into));
        for (NDArray h : handles) assertTrue(h.isReleased());
        assertArrayEquals(new float[] {1f}, z[0].f());

        ActivationRecorders.Recorded[] unchecked;
        try (NDManager batch = manager.newSubManager()) {
            unchecked = new ActivationRecorders.Recorded[] {kept(batch, 5f), null, kept(batch, 6f)};
        }
        ActivationRecorders.release(unchecked);
        assertTrue(unchecked[0].kept().isReleased() && unchecked[2].kept().isReleased());
    }
}
