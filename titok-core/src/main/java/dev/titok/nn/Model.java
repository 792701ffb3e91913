package dev.titok.nn;

import ai.djl.ndarray.NDManager;
import dev.titok.io.HostTensor;
import dev.titok.kernels.FusedKernels;
import dev.titok.kernels.Kernels;
import java.util.Map;
import java.util.Set;

/**
 * A top-level {@link Module} that owns the native memory of its parameters: loaded from a checkpoint or initialised
 * from scratch into its own {@link NDManager}, released by {@link #close}.
 */
public abstract class Model extends Module implements AutoCloseable {

    private NDManager manager;
    private NDManager kernelsManager;
    private Kernels kernels = Kernels.REFERENCE;
    private FusedKernels fused;

    /** The manager that owns the parameters; arrays created from it live until {@link #close}. */
    public final NDManager manager() {
        if (manager == null) {
            throw new IllegalStateException(getClass().getSimpleName() + " has no parameters: load or initialise it first");
        }
        return manager;
    }

    /** Copies a checkpoint into the parameters, strictly (see {@link StateDict#load}); closes the model on failure. */
    protected final void loadWeights(Map<String, HostTensor> weights, String source, Set<String> ignored) {
        manager = NDManager.newBaseManager();
        try {
            StateDict.load(this, weights, manager, source, ignored);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Fresh parameters following each one's {@link Init} rule, for training and benchmarks. */
    protected final void initializeRandomly(long seed) {
        manager = NDManager.newBaseManager();
        initialize(manager, seed);
    }

    /**
     * Runs inference on {@code kernels} from now on ({@link Kernels#REFERENCE} by default). The fused kernels take
     * each layer's weights at its first forward pass (fp32 shares them; bf16 keeps a bfloat16 copy, half their
     * size), so call it after loading and before inference, never on a model being trained.
     */
    public void useKernels(Kernels kernels) {
        NDManager converted = kernels == Kernels.REFERENCE ? null : manager().newSubManager();
        FusedKernels created;
        try {
            created = FusedKernels.create(kernels, converted);
            bindKernels(created);
        } catch (RuntimeException e) {
            // back to a consistent state: every module on the reference path
            if (converted != null) {
                converted.close();
            }
            bindKernels(null);
            closeKernels();
            this.kernels = Kernels.REFERENCE;
            throw e;
        }
        closeKernels();
        kernelsManager = converted;
        this.kernels = kernels;
        this.fused = created;
    }

    /** Converts now the weights the fused kernels would convert at each layer's first use; nothing on the reference. */
    public void convertKernelWeights() {
        if (fused != null) {
            fused.convertAll();
        }
    }

    /** The kernels inference runs on. */
    public Kernels kernels() {
        return kernels;
    }

    private void closeKernels() {
        fused = null;
        if (kernelsManager != null) {
            kernelsManager.close();
            kernelsManager = null;
        }
    }

    @Override
    public void close() {
        closeKernels();
        if (manager != null) {
            manager.close();
            manager = null;
        }
    }
}
