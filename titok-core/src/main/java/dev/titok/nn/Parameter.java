package dev.titok.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * One tensor of a {@link Module}: its declared shape, how it is initialised from scratch, whether training may
 * change it, and its current value (null until the module is initialised or loaded).
 *
 * <p>Non-trainable entries are PyTorch's buffers (e.g. the fixed BlurPool kernel of the discriminator): they are part
 * of the state dict, so loading and saving include them, but optimizers, weight-decay groups and
 * {@code Trainable.prepare} leave them alone.
 */
public final class Parameter {

    private final Shape shape;
    private final Init init;
    private final boolean trainable;
    private NDArray value;

    Parameter(Shape shape, Init init, boolean trainable) {
        this.shape = shape;
        this.init = init;
        this.trainable = trainable;
    }

    public Shape shape() {
        return shape;
    }

    public Init init() {
        return init;
    }

    /** False for a buffer: saved and loaded with the weights, never optimized. */
    public boolean trainable() {
        return trainable;
    }

    /** The current value; throws when the owning model was neither initialised nor loaded. */
    public NDArray value() {
        if (value == null) {
            throw new IllegalStateException("parameter of shape " + shape + " has no value: initialise or load the model first");
        }
        return value;
    }

    public boolean hasValue() {
        return value != null;
    }

    /** Replaces the value; the previous one is closed. */
    public void set(NDArray newValue) {
        if (!newValue.getShape().equals(shape)) {
            throw new IllegalArgumentException("expected shape " + shape + " but got " + newValue.getShape());
        }
        if (value != null && value != newValue) {
            value.close();
        }
        value = newValue;
    }
}
