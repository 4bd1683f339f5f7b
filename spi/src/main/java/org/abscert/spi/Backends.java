package org.abscert.spi;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/** Discovery of backends on the class path through {@link BackendProvider}. */
public final class Backends {
    private Backends() {}

    /**
     * Every provider on the class path, highest rank first, then by name. A provider class that cannot be
     * instantiated is left out, so that one broken adapter jar does not hide the other backends.
     */
    public static List<BackendProvider> providers() {
        List<BackendProvider> list = new ArrayList<>();
        Iterator<BackendProvider> it = ServiceLoader.load(BackendProvider.class).iterator();
        // bounded, in case a broken configuration file makes the iterator fail on every call
        for (int failures = 0; failures < 100; ) {
            try {
                if (!it.hasNext()) break;
                list.add(it.next());
            } catch (ServiceConfigurationError | LinkageError e) {
                failures++; // skip this provider; the iterator moves on to the next one
            }
        }
        list.sort(Comparator.comparingInt(BackendProvider::rank).reversed().thenComparing(BackendProvider::name));
        return list;
    }

    /** The names of every discovered provider, in {@link #providers()} order. */
    public static List<String> names() {
        return providers().stream().map(BackendProvider::name).toList();
    }

    /**
     * The backend with the given name.
     *
     * @throws BackendException when no provider has that name or the backend cannot start
     */
    public static Backend get(String name) throws BackendException {
        for (BackendProvider p : providers()) if (p.name().equals(name)) return p.backend();
        throw new BackendException("no backend named '" + name + "' (available: " + String.join(", ", names()) + ")");
    }

    /** The default backend: the highest-ranked provider that starts. */
    public static Backend defaultBackend() throws BackendException {
        BackendException last = null;
        for (BackendProvider p : providers()) {
            try {
                return p.backend();
            } catch (BackendException e) {
                last = e;
            }
        }
        throw last != null ? last : new BackendException("no backend found on the class path");
    }
}
