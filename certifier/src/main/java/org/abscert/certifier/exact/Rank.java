package org.abscert.certifier.exact;

import java.math.BigInteger;

/** Exact rank tests: Gaussian elimination modulo a prime, and fraction-free Bareiss elimination over ℤ. */
public final class Rank {
    private Rank() {}

    /** Rank of a matrix over ℤ/p (entries already reduced; the array is modified). */
    public static int modP(long[][] m, long p) {
        ModP f = new ModP(p);
        int rows = m.length, cols = rows == 0 ? 0 : m[0].length, rank = 0;
        for (int c = 0; c < cols && rank < rows; c++) {
            int piv = -1;
            for (int r = rank; r < rows; r++) if (m[r][c] != 0) { piv = r; break; }
            if (piv < 0) continue;
            long[] t = m[piv]; m[piv] = m[rank]; m[rank] = t;
            long inv = f.inverse(m[rank][c]);
            for (int r = rank + 1; r < rows; r++) {
                if (m[r][c] == 0) continue;
                long factor = m[r][c] * inv % p;
                for (int k = c; k < cols; k++) {
                    m[r][k] = Math.floorMod(m[r][k] - factor * m[rank][k] % p, p);
                }
            }
            rank++;
        }
        return rank;
    }

    /** Rank of an integer matrix by fraction-free (Bareiss) elimination; the array is modified. */
    public static int bareiss(BigInteger[][] m) {
        int rows = m.length, cols = rows == 0 ? 0 : m[0].length, rank = 0;
        BigInteger prev = BigInteger.ONE;
        for (int c = 0; c < cols && rank < rows; c++) {
            int piv = -1;
            for (int r = rank; r < rows; r++) if (m[r][c].signum() != 0) { piv = r; break; }
            if (piv < 0) continue;
            BigInteger[] t = m[piv]; m[piv] = m[rank]; m[rank] = t;
            for (int r = rank + 1; r < rows; r++) {
                for (int k = c + 1; k < cols; k++) {
                    m[r][k] = m[rank][c].multiply(m[r][k]).subtract(m[r][c].multiply(m[rank][k])).divide(prev);
                }
                m[r][c] = BigInteger.ZERO;
            }
            prev = m[rank][c];
            rank++;
        }
        return rank;
    }
}
