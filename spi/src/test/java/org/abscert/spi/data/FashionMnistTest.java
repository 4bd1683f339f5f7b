package org.abscert.spi.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.abscert.spi.InvalidInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FashionMnistTest {

    @Test
    void missingDirectoryNamesTheFileAndTheDebianPackage(@TempDir Path dir) {
        var e = assertThrows(InvalidInputException.class, () -> FashionMnist.load(dir, FashionMnist.Split.TRAIN, 5));
        assertTrue(e.getMessage().contains("train-labels-idx1-ubyte.gz"), e.getMessage());
        assertTrue(e.getMessage().contains("apt-get install -y dataset-fashion-mnist"), e.getMessage());
        assertFalse(FashionMnist.installed(dir));
    }

    @Test
    void readsIdxFilesAsPixelOver255AndStopsAtTheLimit(@TempDir Path dir) throws Exception {
        byte[] pixels = new byte[3 * FashionMnist.FEATURES];
        for (int i = 0; i < pixels.length; i++) pixels[i] = (byte) (i % 256);
        writeIdx(dir.resolve("t10k-images-idx3-ubyte.gz"), 0x803, new int[] {3, 28, 28}, pixels);
        writeIdx(dir.resolve("t10k-labels-idx1-ubyte.gz"), 0x801, new int[] {3}, new byte[] {9, 0, 4});
        Dataset d = FashionMnist.load(dir, FashionMnist.Split.TEST, 2);
        assertEquals(2, d.size());
        assertEquals(FashionMnist.FEATURES, d.featureCount());
        assertArrayEquals(new int[] {9, 0}, d.labels());
        assertEquals(255 / 255.0, d.features()[0][255]);
        assertEquals(((FashionMnist.FEATURES + 7) % 256) / 255.0, d.features()[1][7]);
    }

    @Test
    void rejectsAFileWithTheWrongMagicNumber(@TempDir Path dir) throws Exception {
        writeIdx(dir.resolve("train-labels-idx1-ubyte.gz"), 0x803, new int[] {1}, new byte[] {1});
        var e = assertThrows(InvalidInputException.class, () -> FashionMnist.load(dir, FashionMnist.Split.TRAIN, 1));
        assertTrue(e.getMessage().contains("not an IDX label file"), e.getMessage());
    }

    @Test
    void rejectsALabelOutsideTheTenClasses(@TempDir Path dir) throws Exception {
        writeIdx(dir.resolve("train-labels-idx1-ubyte.gz"), 0x801, new int[] {1}, new byte[] {10});
        var e = assertThrows(InvalidInputException.class, () -> FashionMnist.load(dir, FashionMnist.Split.TRAIN, 1));
        assertTrue(e.getMessage().contains("label 10"), e.getMessage());
    }

    @Test
    void theInstalledDebianSetHasTenClassesOf784Pixels() throws Exception {
        assumeTrue(FashionMnist.installed(), "dataset-fashion-mnist is not installed");
        Dataset d = FashionMnist.load(FashionMnist.Split.TRAIN, 200);
        assertEquals(200, d.size());
        assertEquals(784, d.featureCount());
        assertEquals(10, java.util.Arrays.stream(d.labels()).distinct().count());
        for (double[] row : d.features()) for (double v : row) assertTrue(v >= 0 && v <= 1);
    }

    private static void writeIdx(Path file, int magic, int[] dims, byte[] payload) throws IOException {
        try (var out = new DataOutputStream(new GZIPOutputStream(Files.newOutputStream(file)))) {
            out.writeInt(magic);
            for (int d : dims) out.writeInt(d);
            out.write(payload);
        }
    }
}
