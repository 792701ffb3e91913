package dev.titok.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * NDArrays from Java data whose memory libtorch owns.
 *
 * <p>DJL's {@code NDManager.create(float[] ...)} copies the data into a direct ByteBuffer and wraps it without a copy
 * ({@code torch::from_blob}); only that one Java NDArray keeps the buffer alive. Views of it ({@code reshape},
 * {@code transpose}) and tensors autograd saves for the backward pass point into the same memory but do not keep the
 * buffer alive, so once the original handle is closed the garbage collector may free memory that libtorch still reads:
 * random NaNs and irreproducible training. Every tensor made from Java data goes through here and is cloned into
 * libtorch-owned storage.
 */
public final class Tensors {

    private Tensors() {}

    public static NDArray of(NDManager manager, float[] data, Shape shape) {
        try (NDArray blob = manager.create(data, shape)) {
            return blob.duplicate();
        }
    }

    public static NDArray of(NDManager manager, double[] data, Shape shape) {
        try (NDArray blob = manager.create(data, shape)) {
            return blob.duplicate();
        }
    }

    public static NDArray of(NDManager manager, long[] data, Shape shape) {
        try (NDArray blob = manager.create(data, shape)) {
            return blob.duplicate();
        }
    }

    public static NDArray of(NDManager manager, int[] data, Shape shape) {
        try (NDArray blob = manager.create(data, shape)) {
            return blob.duplicate();
        }
    }

    public static NDArray of(NDManager manager, boolean[] data, Shape shape) {
        try (NDArray blob = manager.create(data, shape)) {
            return blob.duplicate();
        }
    }

    /** A 1-D tensor. */
    public static NDArray of(NDManager manager, long[] data) {
        return of(manager, data, new Shape(data.length));
    }
}
