package org.abscert.properties.kit;

import org.abscert.properties.support.Backends;
import org.abscert.spi.Backend;
import org.abscert.testkit.ClarkeContract;

/** The test kit on the DJL + PyTorch backend ({@code djl-pytorch}), found through its provider as a user finds it. */
class DjlPytorchClarkeTest implements ClarkeContract {
    @Override public Backend backend() { return Backends.get("djl-pytorch"); }
}
