package dev.titok.spark;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/** What the jobs share: the session and how many tasks the images are split into. */
public final class SparkJobs {

    private SparkJobs() {}

    /**
     * A session for {@code master}, or for the master spark-submit configured when {@code master} is null, or
     * {@code local[*]} (everything in this JVM) when neither names one.
     */
    public static SparkSession session(String appName, String master) {
        SparkSession.Builder builder = SparkSession.builder().appName(appName);
        if (master != null) {
            builder.master(master);
        } else if (System.getProperty("spark.master") == null) {
            builder.master("local[*]");
        }
        return builder.getOrCreate();
    }

    /**
     * Tasks an executor runs at once: its cores ({@code spark.executor.cores}; in local mode the driver's parallelism)
     * divided by {@code spark.task.cpus}.
     */
    public static int taskSlots(SparkSession spark) {
        var conf = spark.sparkContext().getConf();
        int cores = spark.sparkContext().isLocal()
                ? spark.sparkContext().defaultParallelism()
                : conf.getInt("spark.executor.cores", Runtime.getRuntime().availableProcessors());
        return Math.max(1, cores / Math.max(1, conf.getInt("spark.task.cpus", 1)));
    }

    /**
     * {@code table} in {@code partitions} partitions (0: the default parallelism). File sources split many small
     * images into many small partitions: those are merged without a shuffle ({@code coalesce}), so each task reads its
     * own files; a table with fewer partitions than wanted (a Parquet file of few row groups) is spread by a
     * repartition, which Spark sorts first, so that a recomputed partition holds the same rows. Either way a retried
     * task sees the same images.
     */
    static Dataset<Row> repartition(SparkSession spark, Dataset<Row> table, int partitions) {
        int target = partitions > 0 ? partitions : spark.sparkContext().defaultParallelism();
        return table.rdd().getNumPartitions() >= target ? table.coalesce(target) : table.repartition(target);
    }
}
