package dev.titok.tensor;

import ai.djl.ndarray.NDArray;

/**
 * Receives named intermediate tensors of a forward pass (the {@code dbg.*} entries of the parity fixtures), so a
 * parity test can say at which stage a port first diverges. {@link #NONE} ignores everything.
 */
@FunctionalInterface
public interface Trace {

    Trace NONE = (name, value) -> { };

    void record(String name, NDArray value);
}
