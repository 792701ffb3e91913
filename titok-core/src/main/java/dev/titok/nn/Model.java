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
        try {
            bindKernels(FusedKernels.create(kernels, converted));
        } catch (RuntimeException e) {
            if (converted != null) {
                converted.close();
            }
            bindKernels(null);
            throw e;
        }
        closeKernels();
        kernelsManager = converted;
        this.kernels = kernels;
    }

    /** The kernels inference runs on. */
    public Kernels kernels() {
        return kernels;
    }

    private void closeKernels() {
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
