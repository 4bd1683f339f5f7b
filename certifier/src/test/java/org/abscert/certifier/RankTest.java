package org.abscert.certifier;

import static org.junit.jupiter.api.Assertions.*;

import java.math.BigInteger;
import org.abscert.certifier.exact.ModP;
import org.abscert.certifier.exact.Rank;
import org.junit.jupiter.api.Test;

/** The exact rank tests behind LIKQ. */
class RankTest {
    private static BigInteger[][] big(long[][] m) {
        BigInteger[][] b = new BigInteger[m.length][];
        for (int i = 0; i < m.length; i++) {
            b[i] = new BigInteger[m[i].length];
            for (int j = 0; j < m[i].length; j++) b[i][j] = BigInteger.valueOf(m[i][j]);
        }
        return b;
    }

    @Test
    void bareissFindsExactRankOfIntegerMatrices() {
        assertEquals(2, Rank.bareiss(big(new long[][] {{1, 2, 3}, {2, 4, 6}, {1, 0, 1}})));
        assertEquals(3, Rank.bareiss(big(new long[][] {{0, 2, 3}, {2, 4, 6}, {1, 0, 1}})));
        assertEquals(1, Rank.bareiss(big(new long[][] {{0, 0, 5}, {0, 0, -10}})));
        assertEquals(0, Rank.bareiss(big(new long[][] {{0, 0}, {0, 0}})));
    }

    @Test
    void rankModuloPMissesOnlyMultiplesOfP() {
        long p = ModP.P1;
        assertEquals(2, Rank.modP(new long[][] {{1, 2}, {3, 4}}, p));
        // det = p: full rank over ℚ, deficient modulo p — why a deficient answer is only a hint
        assertEquals(1, Rank.modP(new long[][] {{1, 0}, {0, p % p}}, p));
    }

    @Test
    void dyadicsMapExactlyIntoTheField() {
        ModP f = new ModP(ModP.P1);
        long half = f.of(0.5), two = f.of(2.0);
        assertEquals(1L, (long) f.mul(half, two));
        assertEquals(f.of(-0.375), f.neg(f.of(0.375)));
        assertEquals(f.of(0.1 * 3), f.of(0.30000000000000004));
        assertEquals(1L, (long) f.mul(f.divide(f.one(), 3), f.of(3L)));
    }
}
