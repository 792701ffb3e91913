package dev.titok.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.titok.io.HostTensor;

/**
 * Arrays that outlive the {@link NDScope} they are made in. Every copy here is a fresh libtorch tensor, never a view
 * of a Java buffer or of a read-only memory map, so it can be updated in place.
 */
final class Owned {

    private Owned() {}

    /** A copy of {@code source} (gradient detached) owned by {@code owner}; call with grad mode off. */
    static NDArray copy(NDArray source, NDManager owner) {
        NDArray copy = source.duplicate();
        NDScope.unregister(copy);
        copy.attach(owner);
        return copy;
    }

    /** A copy of a host tensor on the device of {@code like}, owned by {@code owner}. */
    static NDArray fromHost(HostTensor tensor, NDArray like, NDManager owner) {
        try (NDArray staged = like.getManager().create(tensor.toFloats(), new Shape(tensor.shape()))) {
            // create() wraps a Java direct buffer; the duplicate moves the data into libtorch's own memory
            return copy(staged, owner);
        }
    }

    /** Takes an array made in the current scope out of it and gives it to {@code owner}. */
    static NDArray keep(NDArray array, NDManager owner) {
        NDScope.unregister(array);
        array.attach(owner);
        return array;
    }
}
