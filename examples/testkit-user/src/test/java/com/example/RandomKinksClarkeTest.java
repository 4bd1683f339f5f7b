package com.example;

import org.abscert.spi.Backend;
import org.abscert.tape.TapeBackend;
import org.abscert.testkit.ClarkeContract;

/**
 * A deliberately wrong backend: the tape drawing a random slope in {−1, +1} per zero switch and call. Each
 * slope alone is a Clarke gradient's (Theorem 1), but the rule is neither deterministic nor agnostic, so the
 * probe, the agreement with its own probed rules and the relu-difference family must fail with shrunk cases.
 */
class RandomKinksClarkeTest implements ClarkeContract {
    @Override public Backend backend() { return TapeBackend.builder().name("tape-random").randomKinks(7).build(); }
}
