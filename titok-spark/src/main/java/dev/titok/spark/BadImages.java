package dev.titok.spark;

import java.io.Serializable;
import java.util.List;
import org.apache.spark.SparkContext;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.LongAccumulator;

/**
 * Counts the images that could not be decoded and keeps the first paths of each task with the reason, for the driver
 * to report: a bad image is skipped, never fatal. Accumulators rather than side files, so nothing outside the job's
 * committed output is written by tasks. Spark merges the updates of successful task attempts only, so a retried task
 * counts its bad images once; a stage recomputed after a lost executor may count some twice (the figure is for the
 * report, the output rows are exact).
 */
public final class BadImages implements Serializable {

    /** Paths kept per task: enough to find the problem, bounded so a folder of garbage cannot flood the driver. */
    static final int KEEP_PER_TASK = 100;

    private final LongAccumulator count;
    private final CollectionAccumulator<String> examples;

    /** Registers the accumulators with {@code context}. */
    public BadImages(SparkContext context) {
        count = context.longAccumulator("titok bad images");
        examples = context.collectionAccumulator("titok bad image paths");
    }

    /** Records a bad image of the running task; {@code keptSoFar} is how many this task has recorded already. */
    void add(String path, RuntimeException error, int keptSoFar) {
        count.add(1);
        if (keptSoFar < KEEP_PER_TASK) {
            examples.add(path + "\t" + error.getMessage());
        }
    }

    /** Bad images counted (read on the driver after the action). */
    public long count() {
        return count.value();
    }

    /** {@code path<TAB>reason} of the first bad images of each task (read on the driver after the action). */
    public List<String> examples() {
        return examples.value().stream().sorted().toList();
    }
}
