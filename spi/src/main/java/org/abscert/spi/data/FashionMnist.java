package org.abscert.spi.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import org.abscert.spi.InvalidInputException;

/**
 * Fashion-MNIST (Zalando; 60,000 training and 10,000 test images of 28×28 grey pixels, 10 classes) read
 * from the IDX files that Debian's package {@code dataset-fashion-mnist} installs under
 * {@link #DEFAULT_DIR}. The set is not shipped with abscert; when it is missing the loader says how to
 * install it.
 *
 * <p>Features are pixel/255 in [0, 1] (the usual scaling; unlike the digits' pixel/16 it is not exact in
 * binary, so a float32 backend sees the features rounded — the certifier judges that rounded point).
 */
public final class FashionMnist {
    /** Where {@code apt-get install dataset-fashion-mnist} puts the files. */
    public static final Path DEFAULT_DIR = Path.of("/usr/share/datasets/fashion-mnist");
    public static final int FEATURES = 28 * 28;
    public static final int CLASSES = 10;
    /** The hint appended to every "not installed" message. */
    public static final String INSTALL_HINT = "Fashion-MNIST is not installed; install Debian's package with "
            + "'apt-get install -y dataset-fashion-mnist'";

    private static final int IMAGES_MAGIC = 0x00000803;
    private static final int LABELS_MAGIC = 0x00000801;

    private FashionMnist() {}

    /** Which of the two published splits. */
    public enum Split {
        TRAIN("train"), TEST("t10k");

        private final String prefix;

        Split(String prefix) { this.prefix = prefix; }
    }

    /** Whether the IDX files are present in {@link #DEFAULT_DIR}. */
    public static boolean installed() { return installed(DEFAULT_DIR); }

    /** Whether the four IDX files are present in the directory. */
    public static boolean installed(Path dir) {
        for (Split s : Split.values())
            if (!Files.isRegularFile(imagesFile(dir, s)) || !Files.isRegularFile(labelsFile(dir, s))) return false;
        return true;
    }

    /** The first {@code limit} examples of a split from {@link #DEFAULT_DIR}. */
    public static Dataset load(Split split, int limit) throws InvalidInputException {
        return load(DEFAULT_DIR, split, limit);
    }

    /**
     * The first {@code limit} examples of a split (all of them when {@code limit} exceeds the split's size).
     *
     * @throws InvalidInputException when a file is missing (with the install hint) or is not a valid IDX file
     */
    public static Dataset load(Path dir, Split split, int limit) throws InvalidInputException {
        if (limit <= 0) throw new IllegalArgumentException("limit must be positive, got " + limit);
        Path images = imagesFile(dir, split);
        Path labels = labelsFile(dir, split);
        int[] y = readLabels(labels, limit);
        double[][] x = readImages(images, y.length);
        return new Dataset("fashion-mnist-" + split.name().toLowerCase(java.util.Locale.ROOT), x, y, CLASSES);
    }

    static Path imagesFile(Path dir, Split s) { return dir.resolve(s.prefix + "-images-idx3-ubyte.gz"); }

    static Path labelsFile(Path dir, Split s) { return dir.resolve(s.prefix + "-labels-idx1-ubyte.gz"); }

    private static int[] readLabels(Path file, int limit) throws InvalidInputException {
        return read(file, in -> {
            int magic = in.readInt();
            if (magic != LABELS_MAGIC) throw bad(file, "not an IDX label file (magic 0x" + Integer.toHexString(magic) + ")");
            int n = in.readInt();
            if (n < 0) throw bad(file, "negative item count " + n);
            int[] y = new int[Math.min(n, limit)];
            for (int i = 0; i < y.length; i++) {
                y[i] = in.readUnsignedByte();
                if (y[i] >= CLASSES) throw bad(file, "label " + y[i] + " of item " + i + " is not in 0.." + (CLASSES - 1));
            }
            return y;
        });
    }

    private static double[][] readImages(Path file, int count) throws InvalidInputException {
        return read(file, in -> {
            int magic = in.readInt();
            if (magic != IMAGES_MAGIC) throw bad(file, "not an IDX image file (magic 0x" + Integer.toHexString(magic) + ")");
            int n = in.readInt();
            int rows = in.readInt();
            int cols = in.readInt();
            if (rows * cols != FEATURES) throw bad(file, "images are " + rows + "×" + cols + ", expected 28×28");
            if (n < count) throw bad(file, n + " images but " + count + " labels");
            double[][] x = new double[count][FEATURES];
            byte[] buf = new byte[FEATURES];
            for (int i = 0; i < count; i++) {
                in.readFully(buf);
                for (int j = 0; j < FEATURES; j++) x[i][j] = (buf[j] & 0xff) / 255.0;
            }
            return x;
        });
    }

    /** The body of an IDX reader, given the opened stream. */
    @FunctionalInterface
    private interface Body<T> {
        T read(DataInputStream in) throws IOException, InvalidInputException;
    }

    /** Opens the file and runs the body, turning every I/O failure into one message naming the file. */
    private static <T> T read(Path file, Body<T> body) throws InvalidInputException {
        try (DataInputStream in = open(file)) {
            return body.read(in);
        } catch (EOFException e) {
            throw bad(file, "file ends early");
        } catch (NoSuchFileException e) {
            throw new InvalidInputException(file.toString(), "$", "file not found. " + INSTALL_HINT);
        } catch (IOException e) {
            throw bad(file, "cannot read: " + e.getMessage());
        }
    }

    private static DataInputStream open(Path file) throws IOException {
        InputStream raw = Files.newInputStream(file);
        try {
            return new DataInputStream(new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16));
        } catch (IOException e) {
            raw.close();
            throw e;
        }
    }

    private static InvalidInputException bad(Path file, String problem) {
        return new InvalidInputException(file.toString(), "$", problem);
    }
}
