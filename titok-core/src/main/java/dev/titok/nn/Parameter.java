package dev.titok.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * One learnable tensor of a {@link Module}: its declared shape, how it is initialised from scratch,
 * and its current value (null until the module is initialised or loaded).
 */
public final class Parameter {

    private final Shape shape;
    private final Init init;
    private NDArray value;

    Parameter(Shape shape, Init init) {
        this.shape = shape;
        this.init = init;
    }

    public Shape shape() {
        return shape;
    }

    public Init init() {
        return init;
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
