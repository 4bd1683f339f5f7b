package org.abscert.spi.ir;

/**
 * The geometry of one {@code conv2d}, {@code max_pool2d} or {@code avg_pool2d} node over an NCHW input: for
 * every output position of a channel plane and every kernel tap, the input cell it reads (or −1 for a padded
 * cell). The same table serves every batch row and channel, so it costs H'·W'·kh·kw integers however large
 * the batch is. Immutable; shared by every backend and the certifier, because the cell order also fixes the
 * switch numbering of {@code max_pool2d} (DESIGN.md "Switch numbering").
 */
public final class Window2d {
    /** Input [N, C, H, W]. */
    public final int batch, channels, height, width;
    /** Output plane height and width. */
    public final int outHeight, outWidth;
    /** Kernel rows and columns (taps per output position: {@code kh·kw}). */
    public final int kh, kw;
    /** Index {@code pos·kh·kw + tap}: the input cell {@code y·W + x} in its plane, or −1 when padded. */
    private final int[] cells;
    /** Per output position: the cells inside the input, in row-major window order. */
    private final int[][] inside;
    /** Per output position: its first max-pool switch within the plane (prefix sums of m − 1). */
    private final int[] switchStart;
    /** Max-pool switches per channel plane. */
    public final int planeSwitches;

    private Window2d(int[] in, int kh, int kw, int[] stride, int[] padding, int[] dilation) {
        this.batch = in[0];
        this.channels = in[1];
        this.height = in[2];
        this.width = in[3];
        this.kh = kh;
        this.kw = kw;
        this.outHeight = outSize(height, kh, stride[0], padding[0], dilation[0]);
        this.outWidth = outSize(width, kw, stride[1], padding[1], dilation[1]);
        int positions = outHeight * outWidth, taps = kh * kw;
        cells = new int[positions * taps];
        inside = new int[positions][];
        switchStart = new int[positions + 1];
        for (int oy = 0; oy < outHeight; oy++) {
            for (int ox = 0; ox < outWidth; ox++) {
                int pos = oy * outWidth + ox, count = 0;
                for (int ky = 0; ky < kh; ky++) {
                    for (int kx = 0; kx < kw; kx++) {
                        int y = oy * stride[0] - padding[0] + ky * dilation[0];
                        int x = ox * stride[1] - padding[1] + kx * dilation[1];
                        boolean in0 = y >= 0 && y < height && x >= 0 && x < width;
                        cells[pos * taps + ky * kw + kx] = in0 ? y * width + x : -1;
                        if (in0) count++;
                    }
                }
                int[] list = new int[count];
                int k = 0;
                for (int t = 0; t < taps; t++) if (cells[pos * taps + t] >= 0) list[k++] = cells[pos * taps + t];
                inside[pos] = list;
                switchStart[pos + 1] = switchStart[pos] + Math.max(0, count - 1);
            }
        }
        planeSwitches = switchStart[positions];
    }

    /** ⌊(n + 2p − d·(k−1) − 1)/s⌋ + 1, or a non-positive number when the kernel does not fit. */
    static int outSize(int n, int k, int s, int p, int d) {
        long span = (long) n + 2L * p - (long) d * (k - 1) - 1;
        return span < 0 ? 0 : (int) (span / s + 1);
    }

    /** The geometry of a conv2d node with input x [N,C,H,W] and weight w [O,C/g,kh,kw]. */
    public static Window2d conv(Shape x, Shape w, int[] stride, int[] padding, int[] dilation) {
        return new Window2d(x.dims(), w.dim(2), w.dim(3), stride, padding, dilation);
    }

    /** The geometry of a pooling node with input x [N,C,H,W]. */
    public static Window2d pool(Shape x, int[] kernel, int[] stride, int[] padding) {
        return new Window2d(x.dims(), kernel[0], kernel[1], stride, padding, new int[] {1, 1});
    }

    /** The geometry of conv2d, max_pool2d or avg_pool2d node {@code index} of a validated procedure. */
    public static Window2d of(Procedure p, int index) {
        Node n = p.node(index);
        Shape x = p.shape(n.arg(0));
        return switch (n.op()) {
            case CONV2D -> conv(x, p.shape(n.arg(1)), n.pair("stride", ONE), n.pair("padding", ZERO), n.pair("dilation", ONE));
            case MAX_POOL2D, AVG_POOL2D -> {
                int[] kernel = n.pair("kernel", ONE);
                yield pool(x, kernel, n.pair("stride", kernel), n.pair("padding", ZERO));
            }
            default -> throw new IllegalArgumentException(n.op() + " has no window");
        };
    }

    static final int[] ONE = {1, 1}, ZERO = {0, 0};

    /** Output positions per channel plane, H'·W'. */
    public int positions() { return outHeight * outWidth; }

    /** Taps per position, kh·kw. */
    public int taps() { return kh * kw; }

    /** Input cells per channel plane, H·W. */
    public int plane() { return height * width; }

    /** The input cell (within its plane) read by tap {@code tap} of position {@code pos}, or −1 when padded. */
    public int cell(int pos, int tap) { return cells[pos * kh * kw + tap]; }

    /** The cells of position {@code pos} that lie inside the input, in row-major window order (do not modify). */
    public int[] inside(int pos) { return inside[pos]; }

    /** The first max-pool switch of position {@code pos} within its plane; the position has m − 1 of them. */
    public int switchStart(int pos) { return switchStart[pos]; }

    /** The output position (within its plane) whose fold contains plane switch {@code k}. */
    public int positionOfSwitch(int k) {
        int lo = 0, hi = positions() - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (switchStart[mid] <= k) lo = mid;
            else hi = mid - 1;
        }
        // positions with a single cell have no switch and share their start with the next one
        while (lo + 1 < positions() && switchStart[lo + 1] <= k) lo++;
        return lo;
    }

    /**
     * The max-pool switches of DESIGN.md from the pool's input: per output element the fold
     * m_k = max(m_(k−1), e_k) over the window's cells inside the input, switch m_(k−1) − e_k rounded to the
     * backend's precision. For backends that expose only the pool's input, not its running maximum.
     *
     * @param input the pool's input [N, C, H, W] row-major, widened to double
     * @param s     receives the switches from index {@code at}
     * @return the index after the last switch written
     */
    public int foldSwitches(double[] input, org.abscert.spi.Precision precision, double[] s, int at) {
        int plane = plane();
        for (int nc = 0; nc < batch * channels; nc++) {
            int base = nc * plane;
            for (int pos = 0; pos < positions(); pos++) {
                int[] cells = inside(pos);
                double m = input[base + cells[0]];
                for (int k = 1; k < cells.length; k++) {
                    double e = input[base + cells[k]];
                    s[at++] = precision.round(m - e);
                    m = Math.max(m, e);
                }
            }
        }
        return at;
    }
}
