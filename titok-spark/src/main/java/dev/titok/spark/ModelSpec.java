package dev.titok.spark;

import ai.djl.pytorch.jni.JniUtils;
import dev.titok.TitokException;
import dev.titok.config.TiTokConfig;
import dev.titok.kernels.Kernels;
import dev.titok.tokenizer.TiTok;
import dev.titok.tokenizer.TiTokModels;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What a task needs to get its tokenizer: the model (folder, config file or preset), an optional weights file, and the
 * libtorch intra-op threads per task. Only these strings travel with the task closures; the weights are loaded once
 * per executor JVM from the path ({@link #open}) and shared by all tasks of that JVM. The paths must therefore be
 * readable at the same place on every executor (a shared file system, or the same image on every node); Spark's
 * local mode runs its tasks in the driver JVM, where this always holds.
 *
 * @param model          model folder, config.json or preset name, as {@code --model} takes it
 * @param weights        weights file, or null for the folder's own
 * @param threadsPerTask libtorch intra-op threads of each task thread; 0 to divide the executor's processors by its
 *                       concurrent tasks ({@link #taskSlots})
 * @param taskSlots      tasks an executor runs at once (its cores divided by {@code spark.task.cpus})
 * @param kernels        the inference kernels the tokenizer runs on
 */
public record ModelSpec(String model, String weights, int threadsPerTask, int taskSlots, Kernels kernels)
        implements Serializable {

    /** A spec on the reference kernels. */
    public ModelSpec(String model, String weights, int threadsPerTask, int taskSlots) {
        this(model, weights, threadsPerTask, taskSlots, Kernels.REFERENCE);
    }

    /** One tokenizer per model id and JVM: every task of an executor uses it (the forward passes only read weights). */
    private static final Map<String, TiTok> LOADED = new ConcurrentHashMap<>();

    /** The value of the output's {@code model} column. */
    public String id() {
        return weights == null ? model : model + " + " + weights;
    }

    /** The key of the per-JVM cache: the same weights on other kernels are another instance. */
    private String cacheKey() {
        return id() + " @ " + kernels.label();
    }

    /**
     * The tokenizer of this JVM, loaded on first use, after setting the calling task thread's libtorch intra-op threads
     * (libtorch keeps that count per OpenMP thread, so each new task thread starts with every core unless told).
     * The instance stays open until the JVM exits, as executors are reused across tasks and jobs.
     */
    public TiTok open() {
        TiTok titok = LOADED.computeIfAbsent(cacheKey(), key -> {
            TiTok loaded = TiTokModels.open(model, weights == null ? null : Path.of(weights));
            loaded.useKernels(kernels);
            return loaded;
        });
        JniUtils.setNumThreads(threads());
        return titok;
    }

    /**
     * Fails on the driver, before any task runs, for a stage-1 model: its decoder predicts MaskGIT-VQGAN proxy codes,
     * which the jobs do not turn into pixels ({@code titok detokenize --vqgan} does).
     */
    void requirePixelOutput() {
        TiTokConfig config = TiTokModels.config(model);
        if (config.legacy() && !config.finetuneDecoder()) {
            throw new TitokException(model + " is a stage-1 model whose decoder predicts proxy codes, not pixels: the Spark"
                    + " jobs cannot decode it (titok detokenize --vqgan can)");
        }
    }

    /** Intra-op threads per task: as given, or the executor's processors shared among its concurrent tasks. */
    int threads() {
        if (threadsPerTask > 0) {
            return threadsPerTask;
        }
        return Math.max(1, Runtime.getRuntime().availableProcessors() / Math.max(1, taskSlots));
    }
}
