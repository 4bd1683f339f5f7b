package org.abscert.certifier.exact;

/**
 * The prime field ℤ/p for a prime p &lt; 2³¹, so that products fit in a long. A dyadic m·2^e maps to
 * m·(2^e mod p); the denominators met (powers of two, element counts of mean) are below p, hence invertible.
 * Full rank modulo p implies full rank over ℚ (a non-zero minor modulo p is a non-zero integer).
 */
public final class ModP implements Field<Long> {
    /** 2³¹ − 1. */
    public static final long P1 = 2147483647L;
    /** Another prime below 2³¹. */
    public static final long P2 = 2147483629L;

    private final long p;

    public ModP(long p) { this.p = p; }

    public long prime() { return p; }

    @Override public Long zero() { return 0L; }

    @Override public Long one() { return 1L; }

    @Override public Long of(double v) {
        if (v == 0) return 0L;
        Binary64 b = Binary64.of(v); // |v| = mantissa · 2^exponent
        long m = Math.floorMod(b.mantissa(), p);
        long r = mulmod(m, pow2(b.exponent()));
        return v < 0 ? (p - r) % p : r;
    }

    @Override public Long of(long v) { return Math.floorMod(v, p); }

    private long pow2(int e) {
        long base = e >= 0 ? 2 : (p + 1) / 2; // 2⁻¹ mod p
        return pow(base, Math.abs((long) e));
    }

    private long pow(long base, long n) {
        long r = 1, b = base % p;
        while (n > 0) {
            if ((n & 1) == 1) r = mulmod(r, b);
            b = mulmod(b, b);
            n >>= 1;
        }
        return r;
    }

    long mulmod(long a, long b) { return a * b % p; }

    /** Multiplicative inverse (a ≠ 0). */
    public long inverse(long a) { return pow(a, p - 2); }

    @Override public Long add(Long a, Long b) { long s = a + b; return s >= p ? s - p : s; }

    @Override public Long sub(Long a, Long b) { long s = a - b; return s < 0 ? s + p : s; }

    @Override public Long mul(Long a, Long b) { return a * b % p; }

    @Override public Long neg(Long a) { return a == 0 ? 0 : p - a; }

    @Override public Long divide(Long a, long n) { return mulmod(a, inverse(Math.floorMod(n, p))); }

    @Override public boolean isZero(Long a) { return a == 0; }
}
