package org.abscert.testkit;

import java.util.EnumSet;
import java.util.Optional;
import net.jqwik.api.lifecycle.AfterContainerHook;
import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.ContainerLifecycleContext;
import net.jqwik.api.lifecycle.LifecycleContext;
import net.jqwik.api.lifecycle.PropagationMode;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;
import net.jqwik.api.lifecycle.SkipExecutionHook;
import org.abscert.spi.Precision;
import org.abscert.testkit.gen.Loss;
import org.abscert.testkit.support.Coverage;
import org.opentest4j.TestAbortedException;

/**
 * Runs each kit property against the test class's backend: applies the knobs (tries, seed), skips a family
 * that is not selected or cannot apply (with the reason), fails a property whose backend judged too few of
 * its generated cases, reports a property whose backend judged none as skipped, and prints the class's
 * report afterwards.
 */
public final class KitHook implements SkipExecutionHook, AroundPropertyHook, AfterContainerHook {

    @Override public PropagationMode propagateTo() { return PropagationMode.ALL_DESCENDANTS; }

    @Override
    public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context, PropertyExecutor property) {
        if (!(context.testInstance() instanceof BackendUnderTest test)) return property.execute();
        Optional<Family> family = Family.declaring(context.targetMethod());
        Class<?> container = context.containerClass();
        String label = label(family, context.label());
        Kit kit = Kit.of(test);
        KitOptions o = kit.options();
        o.tries().ifPresent(n -> context.attributes().setTries(n));
        // an explicit seed (option or annotation) is replayed; "random" leaves the draw to jqwik
        if (!o.seed().equals(KitOptions.RANDOM)) context.attributes().setSeed(o.seed());
        Coverage.reset();
        PropertyExecutionResult r = property.execute();
        int covered = Coverage.coveredCount(), unsupported = Coverage.unsupportedCount();
        int inconclusive = Coverage.inconclusiveCount(), runnable = covered + unsupported;
        String counts = covered + " of " + (runnable + inconclusive) + " generated cases judged"
                + (unsupported > 0 ? "; unsupported: " + Coverage.mainUnsupported() : "")
                + (inconclusive > 0 ? "; inconclusive: " + Coverage.mainInconclusive() : "");
        if (r.status() != PropertyExecutionResult.Status.SUCCESSFUL) {
            SkipReport.add(container, r.status().toString(), label, r.seed().map(s -> "seed " + s).orElse(""));
            return r;
        }
        if (!countsCases(context)) {
            SkipReport.add(container, "PASSED", label, "");
            return r;
        }
        if (covered == 0 && unsupported > 0) {
            String why = "backend " + kit.backend().name() + " could run none of the generated cases: " + counts;
            SkipReport.add(container, "SKIPPED", label, why);
            return r.mapToAborted(new TestAbortedException(why));
        }
        if (covered == 0 || covered < o.minCoverage() * runnable) {
            String why = "too few cases judged: " + counts + " (minimum fraction " + o.minCoverage() + " of the cases "
                    + "the backend could run, " + KitOptions.MIN_COVERAGE + ")";
            SkipReport.add(container, "FAILED", label, why);
            return r.mapToFailed(why);
        }
        SkipReport.add(container, "PASSED", label, counts);
        return r;
    }

    @Override
    public SkipResult shouldBeSkipped(LifecycleContext context) {
        Optional<java.lang.reflect.Method> method = context.optionalElement()
                .filter(e -> e instanceof java.lang.reflect.Method).map(e -> (java.lang.reflect.Method) e);
        Optional<Class<?>> container = context.optionalContainerClass();
        if (method.isEmpty() || container.isEmpty() || !BackendUnderTest.class.isAssignableFrom(container.get()))
            return SkipResult.doNotSkip();
        Optional<Family> family = Family.declaring(method.get());
        if (family.isEmpty()) return SkipResult.doNotSkip();
        // the kit is made once per test class; later properties find it cached
        Kit kit = Kit.cached(container.get());
        if (kit == null) kit = Kit.of((BackendUnderTest) context.newInstance(container.get()));
        Family f = family.get();
        KitOptions o = kit.options();
        Optional<String> skip = o.families().contains(f) ? notApplicable(f, kit)
                : Optional.of("family " + f.key() + " not selected (" + KitOptions.FAMILIES + "="
                        + String.join(",", o.families().stream().map(Family::key).toList()) + ")");
        if (skip.isEmpty()) return SkipResult.doNotSkip();
        SkipReport.add(container.get(), "SKIPPED", label(family, context.label()), skip.get());
        return SkipResult.skip(skip.get());
    }

    private static String label(Optional<Family> family, String property) {
        return family.map(f -> f.key() + ": ").orElse("") + property;
    }

    /** Whether the property generates cases (a jqwik example such as the probe's does not count them). */
    private static boolean countsCases(PropertyLifecycleContext context) {
        return context.targetMethod().getParameterCount() > 0;
    }

    /** Why a selected family cannot apply to this backend, or empty. */
    static Optional<String> notApplicable(Family f, Kit kit) {
        return switch (f) {
            case PROBE -> Optional.empty();
            case LIKQ -> kit.whyNothingRuns(EnumSet.copyOf(SingleSampleLikqContract.ACTIVATIONS), EnumSet.allOf(Loss.class));
            case GROUPED -> kit.whyNothingRuns(EnumSet.copyOf(BatchGroupedContract.ACTIVATIONS), EnumSet.allOf(Loss.class))
                    .or(() -> kit.probeFailure().isPresent() || kit.probe().deterministic() ? Optional.empty()
                            : Optional.of("backend " + kit.backend().name() + " is not deterministic and agnostic as probed, "
                                    + "so Theorem 2 does not apply (the probe family fails for it): " + kit.probe().notes()));
            case RELU_DIFFERENCE -> ReluDifferenceContract.whyNothingRuns(kit);
            case AGREEMENT -> kit.whyNothingRuns(EnumSet.copyOf(AgreementContract.ACTIVATIONS), EnumSet.allOf(Loss.class));
            case SAMPLING -> kit.whyNothingRuns(EnumSet.copyOf(SamplingContract.ACTIVATIONS), EnumSet.allOf(Loss.class))
                    .or(() -> kit.precisions().contains(Precision.FLOAT64) ? Optional.empty()
                            : Optional.of("sampling next to a kink needs float64 (steps of 2^-20), which backend "
                                    + kit.backend().name() + " does not offer or " + KitOptions.PRECISIONS + " excludes"));
            case HULL -> kit.whyNothingRuns(EnumSet.copyOf(HullContract.ACTIVATIONS), EnumSet.allOf(Loss.class));
        };
    }

    @Override
    public void afterContainer(ContainerLifecycleContext context) {
        Optional<Class<?>> c = context.optionalContainerClass();
        if (c.isEmpty() || !BackendUnderTest.class.isAssignableFrom(c.get()) || SkipReport.lines(c.get()).isEmpty()) return;
        Kit kit = Kit.cached(c.get());
        if (kit == null) return;
        // standard output rather than jqwik's reporter: the summary is for people reading the build log
        System.out.print(SkipReport.render(c.get(), kit));
    }
}
