package org.abscert.spark;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.abscert.experiments.Bifurcation;
import org.abscert.experiments.Bifurcation.Judgement;
import org.abscert.experiments.Bifurcation.Unit;
import org.abscert.experiments.Bifurcation.UnitResult;
import org.abscert.experiments.BifurcationReport;
import org.abscert.experiments.BifurcationReport.DifferingBatch;
import org.abscert.experiments.Progress;
import org.apache.spark.SparkException;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.JavaSparkStatusTracker;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * Runs the bifurcation experiment on Spark: one task per unit of work (network, backend, precision,
 * initialisation), then one task per differing mini-batch the certifier judges; the driver merges the rows
 * with {@link Bifurcation#merge}, so the report is the one a run in one process gives (timing aside), whatever
 * the partitioning.
 *
 * <p>The driver probes the kink rules and ships them with the configuration and the data in one broadcast.
 * While the tasks run, the driver reports tasks done / total (with the estimate of the {@link Progress});
 * the report's notes say where the experiment ran.
 *
 * <pre>{@code
 * try (SparkRun spark = SparkRun.start("local[2]")) {
 *     BifurcationReport r = bifurcation.withRunner(new SparkBifurcation(spark.context())).run(progress);
 * }
 * }</pre>
 */
public final class SparkBifurcation implements Bifurcation.Runner {
    private final JavaSparkContext sc;
    private final int partitions;
    private final List<Unit> extra;
    private final long pollMillis;

    /** One task per unit. */
    public SparkBifurcation(JavaSparkContext sc) { this(sc, 0, List.of()); }

    /**
     * @param partitions tasks for the units (0: one per unit)
     * @param extra      units run beside the experiment's own (a unit outside the sweep comes back as a row
     *                   with the reason)
     */
    public SparkBifurcation(JavaSparkContext sc, int partitions, List<Unit> extra) {
        if (partitions < 0) throw new IllegalArgumentException("partitions must be ≥ 0, got " + partitions);
        this.sc = sc;
        this.partitions = partitions;
        this.extra = List.copyOf(extra);
        this.pollMillis = 250;
    }

    @Override public BifurcationReport run(Bifurcation b, Progress progress) {
        long start = System.nanoTime();
        SweepSpec spec = SweepSpec.of(b, b.knownRules());
        List<Unit> units = new ArrayList<>(b.workUnits());
        units.addAll(extra);
        FailedAttempts failed = new FailedAttempts();
        sc.sc().addSparkListener(failed);
        Broadcast<SweepSpec> shipped = sc.broadcast(spec);
        try {
            List<UnitResult> results = new ArrayList<>();
            if (!units.isEmpty()) {
                int slices = partitions == 0 ? units.size() : Math.min(partitions, units.size());
                JavaRDD<Unit> rdd = sc.parallelize(units, slices);
                sc.setJobDescription("abscert bifurcation: " + units.size() + " units");
                results = await(rdd.map(u -> Worker.run(shipped.value(), u)).collectAsync(), b, units, progress);
            }
            List<Judgement> toJudge = b.toJudge(results);
            List<DifferingBatch> judged = List.of();
            if (!toJudge.isEmpty()) {
                sc.setJobDescription("abscert bifurcation: certifying " + toJudge.size() + " mini-batches");
                judged = sc.parallelize(toJudge, toJudge.size()).map(j -> Worker.judge(shipped.value(), j)).collect();
            }
            String where = where(units.size(), toJudge.size(), failed.count.get());
            return b.merge(results, judged, (System.nanoTime() - start) / 1_000_000, List.of(where));
        } finally {
            sc.sc().removeSparkListener(failed);
            shipped.destroy();
        }
    }

    /** Waits for the units' job, turning finished tasks into progress steps. */
    private List<UnitResult> await(JavaFutureAction<List<UnitResult>> job, Bifurcation b, List<Unit> units, Progress progress) {
        long total = units.stream().mapToLong(b::unitsOf).sum();
        JavaSparkStatusTracker tracker = sc.statusTracker();
        long reported = 0;
        int lastShown = -1;
        String label = "";
        while (true) {
            boolean done;
            List<UnitResult> results = null;
            try {
                results = job.get(pollMillis, TimeUnit.MILLISECONDS);
                done = true;
            } catch (TimeoutException e) {
                done = false;
            } catch (InterruptedException e) {
                job.cancel(true);
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while the Spark job ran", e);
            } catch (ExecutionException e) {
                throw new IllegalStateException("the Spark job failed: " + rootMessage(e), e);
            }
            int tasks = 0, completed = 0;
            for (int jobId : job.jobIds()) {
                var info = tracker.getJobInfo(jobId);
                if (info == null) continue;
                for (int stage : info.stageIds()) {
                    var s = tracker.getStageInfo(stage);
                    if (s == null) continue;
                    tasks += s.numTasks();
                    completed += s.numCompletedTasks();
                }
            }
            if (done && tasks > 0) completed = tasks;
            if (tasks > 0) {
                // the label changes at most every twentieth of the tasks, so that logs stay short
                int shown = (int) ((long) completed * 20 / tasks);
                if (shown != lastShown || completed == tasks) {
                    label = "bifurcation on Spark " + sc.master() + ": " + completed + "/" + tasks + " tasks";
                    lastShown = shown;
                }
                long due = done ? total : total * completed / tasks;
                for (; reported < due; reported++) progress.step(label);
            }
            if (done) {
                for (; reported < total; reported++) progress.step(label);
                return results;
            }
        }
    }

    /** Where the run went, for the report. */
    private String where(int units, int judged, int failedAttempts) {
        String master = sc.master();
        var executors = sc.sc().statusTracker().getExecutorInfos();
        List<String> hosts = new ArrayList<>();
        for (var e : executors) hosts.add(e.host());
        boolean local = master.startsWith("local");
        String on = local
                ? "in this process (" + sc.defaultParallelism() + " task threads)"
                : (executors.length - 1) + " executors (" + String.join(", ", hosts.stream().distinct().toList())
                        + "; default parallelism " + sc.defaultParallelism() + ")";
        return String.format(Locale.ROOT, "ran on Apache Spark %s, master %s, %s: %d unit tasks, %d certification tasks%s",
                sc.version(), master, on, units, judged,
                failedAttempts == 0 ? "" : "; " + failedAttempts + " failed task attempts were retried");
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return t instanceof SparkException || t.getMessage() == null ? String.valueOf(t) : t.getMessage();
    }

    /** Counts task attempts that did not succeed (Spark retried them). */
    private static final class FailedAttempts extends SparkListener {
        final AtomicInteger count = new AtomicInteger();

        @Override public void onTaskEnd(SparkListenerTaskEnd end) {
            if (!end.taskInfo().successful()) count.incrementAndGet();
        }
    }
}
