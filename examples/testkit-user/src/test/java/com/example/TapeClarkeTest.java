package com.example;

import org.abscert.spi.Backend;
import org.abscert.tape.TapeBackend;
import org.abscert.testkit.ClarkeContract;

/** A correct backend: the tape with one fixed rule per kink op (relu′(0) = 0, abs′(0) = 0, ties split ½/½). */
class TapeClarkeTest implements ClarkeContract {
    @Override public Backend backend() { return TapeBackend.create(); }
}
