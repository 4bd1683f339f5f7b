package org.abscert.spark;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * A Spark context for one abscert run, stopped on {@link #close}.
 *
 * <p>The master: the one given ({@code local[*]}, {@code local[2]}, {@code spark://host:7077}, {@code yarn},
 * {@code k8s://…}); when none is given, the one {@code spark-submit} configured, else {@code local[*]}. A local
 * master without a retry count gets 4 attempts per task ({@code local[N]} becomes {@code local[N,4]}), as a
 * cluster has by default. Local runs turn the web UI off unless {@code spark.ui.enabled} is set.
 */
public final class SparkRun implements AutoCloseable {
    /** Attempts per task in a local master that names none (Spark's default on a cluster). */
    public static final int LOCAL_ATTEMPTS = 4;

    private static final Pattern LOCAL = Pattern.compile("local(?:\\[(\\*|[1-9][0-9]*)\\])?");

    /** The master URLs Spark 3.5 knows. */
    private static final Pattern MASTER = Pattern.compile(
            "local(?:\\[(?:\\*|[1-9][0-9]*)(?:,[1-9][0-9]*)?\\])?|local-cluster\\[[0-9]+, *[0-9]+, *[0-9]+\\]"
                    + "|(?:spark|k8s|mesos)://\\S+|yarn");

    private final JavaSparkContext sc;

    private SparkRun(JavaSparkContext sc) { this.sc = sc; }

    /**
     * Starts a context.
     *
     * @param master a master URL, or "" for spark-submit's (else {@code local[*]})
     * @throws IllegalArgumentException when Spark does not accept the master URL
     */
    public static SparkRun start(String master) {
        SparkConf conf = new SparkConf().setAppName("abscert");
        String m = master == null || master.isBlank() ? conf.get("spark.master", "local[*]") : master.trim();
        if (!MASTER.matcher(m).matches())
            throw new IllegalArgumentException("unknown Spark master URL '" + m
                    + "' (expected local[*], local[N], spark://host:port, yarn or k8s://host:port)");
        m = withRetries(m);
        conf.setMaster(m);
        if (m.startsWith("local")) {
            conf.setIfMissing("spark.ui.enabled", "false");
            conf.setIfMissing("spark.driver.host", "localhost");
            conf.setIfMissing("spark.driver.bindAddress", "127.0.0.1");
        }
        try {
            return new SparkRun(new JavaSparkContext(conf));
        } catch (Exception e) { // Scala code throws SparkException (checked) without declaring it
            throw new IllegalArgumentException("Spark did not start with master '" + m + "': " + e.getMessage(), e);
        }
    }

    /** {@code local} and {@code local[N]} with {@link #LOCAL_ATTEMPTS} attempts per task; other masters unchanged. */
    static String withRetries(String master) {
        Matcher x = LOCAL.matcher(master);
        if (!x.matches()) return master;
        return "local[" + (x.group(1) == null ? "1" : x.group(1)) + "," + LOCAL_ATTEMPTS + "]";
    }

    public JavaSparkContext context() { return sc; }

    @Override public void close() { sc.stop(); }
}
