package org.abscert.djl;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Run in a child JVM by DjlHalfPrecisionTest: converts a float32 array to BFLOAT16 on DJL's PyTorch engine and
 * prints the result. With DJL 0.36.0 the JNI aborts the process instead, which is why djl-pytorch does not offer
 * bfloat16.
 */
public final class Bfloat16Probe {
    private Bfloat16Probe() {}

    public static void main(String[] args) {
        System.setProperty("ai.djl.offline", "true");
        Engine engine = Engine.getEngine("PyTorch");
        try (NDManager m = engine.newBaseManager()) {
            NDArray f = m.create(new float[] {1f, -2f}, new Shape(2));
            System.out.println("converting");
            System.out.flush();
            NDArray b = f.toType(DataType.BFLOAT16, false);
            System.out.println("converted " + b.getDataType());
        }
    }
}
