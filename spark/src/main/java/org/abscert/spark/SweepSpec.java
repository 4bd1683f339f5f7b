package org.abscert.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import org.abscert.certifier.probe.KinkRules;
import org.abscert.experiments.Bifurcation;
import org.abscert.spi.Backend;
import org.abscert.spi.Precision;
import org.abscert.spi.data.Dataset;

/**
 * Everything an executor needs to rebuild the driver's bifurcation experiment: the configuration, the data
 * of its epoch, the backends by name (with the driver's description, to detect an executor whose backend
 * is configured differently), and the kink rules the driver probed. Shipped once per run as a broadcast.
 *
 * @param id            distinguishes runs in an executor's cache
 * @param dataset       data set name for the report
 * @param dataName      {@link Dataset#name()}
 * @param features      the epoch's examples
 * @param labels        their labels
 * @param classes       number of classes
 * @param networks      depth, width, batch per network
 * @param inits         initialisations per network, backend and precision
 * @param seed          seed of initialisations and batch orders
 * @param precisions    precisions of the sweep
 * @param certifyLimit  differing mini-batches judged per row
 * @param sweep         whether this is the published sweep
 * @param subjects      the backends under test, in report order
 * @param rules         probed kink rules by {@code backend/precision} as {@link #rulesOf} arrays (null: the probe failed)
 */
public record SweepSpec(String id, String dataset, String dataName, double[][] features, int[] labels, int classes,
                        List<int[]> networks, int inits, long seed, List<Precision> precisions, int certifyLimit,
                        boolean sweep, List<SubjectSpec> subjects, Map<String, double[]> rules) implements Serializable {

    /**
     * A backend under test by name.
     *
     * @param backend      the backend's name (a provider's, or a configured tape variant's)
     * @param description  its {@link #describe description} on the driver
     * @param relu1        name of its configured relu′(0)=1 variant, or "" for the reformulation
     * @param relu1Description that variant's description on the driver, or ""
     */
    public record SubjectSpec(String backend, String description, String relu1, String relu1Description) implements Serializable {}

    public SweepSpec {
        Objects.requireNonNull(id);
        networks = List.copyOf(networks);
        precisions = List.copyOf(precisions);
        subjects = List.copyOf(subjects);
        rules = new HashMap<>(rules);
    }

    /** The spec of a driver's experiment with the kink rules it probed. */
    public static SweepSpec of(Bifurcation b, Map<String, KinkRules> probed) {
        Bifurcation.Config c = b.config();
        List<int[]> nets = new ArrayList<>();
        for (Bifurcation.Network n : c.networks()) nets.add(new int[] {n.depth(), n.width(), n.batch()});
        List<SubjectSpec> subjects = new ArrayList<>();
        for (Bifurcation.Subject s : b.subjects())
            subjects.add(new SubjectSpec(s.backend().name(), describe(s.backend()),
                    s.configuredRelu1().map(Backend::name).orElse(""),
                    s.configuredRelu1().map(SweepSpec::describe).orElse("")));
        Map<String, double[]> rules = new HashMap<>();
        probed.forEach((k, v) -> rules.put(k, v == null ? null : rulesOf(v)));
        return new SweepSpec(UUID.randomUUID().toString(), c.dataset(), c.data().name(), c.data().features(),
                c.data().labels(), c.data().classes(), nets, c.inits(), c.seed(), c.precisions(), c.certifyLimit(),
                c.sweep(), subjects, rules);
    }

    /** The configuration again (on an executor). */
    public Bifurcation.Config config() {
        List<Bifurcation.Network> nets = networks.stream().map(n -> new Bifurcation.Network(n[0], n[1], n[2])).toList();
        return new Bifurcation.Config(dataset, new Dataset(dataName, features, labels, classes), nets, inits, seed,
                precisions, certifyLimit, sweep);
    }

    /** The probed rules again. */
    public Map<String, KinkRules> kinkRules() {
        Map<String, KinkRules> out = new HashMap<>();
        rules.forEach((k, v) -> out.put(k, v == null ? null : new KinkRules(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9])));
        return out;
    }

    /** What must agree between the driver's backend and an executor's: description, version and precisions. */
    static String describe(Backend b) {
        return b.description() + " (version " + b.version() + "; precisions "
                + b.precisions().stream().sorted().map(Precision::label).toList() + ")";
    }

    static double[] rulesOf(KinkRules r) {
        return new double[] {r.relu0(), r.abs0(), r.maxTieA(), r.maxTieB(), r.minTieA(), r.minTieB(), r.leakyAlpha(),
                r.leaky0(), r.hardtanhMinus1(), r.hardtanhPlus1()};
    }
}
