package org.abscert.dl4j;

import org.abscert.spi.Precision;
import org.abscert.spi.SwitchTrace;
import org.abscert.spi.ir.Op;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.Window2d;

/**
 * The switches of a max_pool2d node (DESIGN.md "Switch numbering": per output element, the window's cells
 * inside the input in row-major order, folded from the left, switch m_{k−1} − e_k). DL4J's pooling kernels
 * keep their running maximum to themselves, so the switches are computed from the pool's input exactly as
 * DL4J holds it: the running maximum is always one of those cell values, and each difference is rounded once
 * to the network's precision, so it is zero exactly when the two cells are equal.
 */
final class MaxPoolSwitches {
    private MaxPoolSwitches() {}

    /**
     * The |·| slope DL4J's max pooling applies at every zero switch of the fold: its backward gives a tie to the
     * first maximal cell in the window's scan order (measured by SameDiffCnnTest), which keeps m_{k−1}: c = +1.
     */
    static final double TIE_SLOPE = 1.0;

    /** A trace of the values with {@link #TIE_SLOPE} at every zero switch of a max_pool2d node, NaN elsewhere. */
    static SwitchTrace trace(Procedure procedure, double[] values) {
        double[] slopes = new double[values.length];
        java.util.Arrays.fill(slopes, Double.NaN);
        for (int i = 0; i < procedure.nodes().size(); i++) {
            if (procedure.node(i).op() != Op.MAX_POOL2D) continue;
            int off = procedure.switchOffset(i);
            for (int k = off; k < off + procedure.switchesOf(i); k++) if (values[k] == 0) slopes[k] = TIE_SLOPE;
        }
        return new SwitchTrace(values, slopes);
    }

    /**
     * Writes the node's switches into {@code s} from index {@code at}.
     *
     * @param input the pool's input [N, C, H, W] row-major, widened to double
     * @return the index after the last switch written
     */
    static int fold(Window2d w, double[] input, Precision precision, double[] s, int at) {
        return w.foldSwitches(input, precision, s, at);
    }
}
