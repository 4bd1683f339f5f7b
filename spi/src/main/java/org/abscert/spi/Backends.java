package org.abscert.spi;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;

/** Discovery of backends on the class path through {@link BackendProvider}. */
public final class Backends {
    private Backends() {}

    /** Every provider on the class path, highest rank first, then by name. */
    public static List<BackendProvider> providers() {
        List<BackendProvider> list = new ArrayList<>();
        ServiceLoader.load(BackendProvider.class).forEach(list::add);
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
