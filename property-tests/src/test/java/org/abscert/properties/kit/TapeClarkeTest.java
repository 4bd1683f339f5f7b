package org.abscert.properties.kit;

import org.abscert.spi.Backend;
import org.abscert.tape.TapeBackend;
import org.abscert.testkit.ClarkeContract;

/** The test kit on the built-in tape with its default (PyTorch-like) rules, as an outside author would run it. */
class TapeClarkeTest implements ClarkeContract {
    @Override public Backend backend() { return TapeBackend.create(); }
}
