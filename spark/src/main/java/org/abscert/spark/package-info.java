/**
 * The experiments' sweeps on Apache Spark: each unit of work of the bifurcation experiment (one network,
 * backend, precision and initialisation) becomes a Spark task, and the results come back as rows that merge
 * into the same report as a run in one process ({@link org.abscert.spark.SparkBifurcation}).
 *
 * <p>Spark is a {@code provided} dependency: a cluster brings its own; the command line puts Spark 3.5 on its
 * class path for local runs ({@code abscert compare --spark local[*]}).
 */
package org.abscert.spark;
