package dev.titok.nn;

import ai.djl.ndarray.NDManager;
import dev.titok.io.HostTensor;
import java.util.Map;
import java.util.Set;

/**
 * A top-level {@link Module} that owns the native memory of its parameters: loaded from a checkpoint or initialised
 * from scratch into its own {@link NDManager}, released by {@link #close}.
 */
public abstract class Model extends Module implements AutoCloseable {

    private NDManager manager;

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

    @Override
    public void close() {
        if (manager != null) {
            manager.close();
            manager = null;
        }
    }
}
