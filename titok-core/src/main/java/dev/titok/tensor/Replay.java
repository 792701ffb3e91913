package dev.titok.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * Replays draws recorded from the official code, checking that each request has the recorded shape: a mismatch
 * means the Java code draws in another order or shape than PyTorch, which is itself a parity bug.
 */
public final class Replay implements RandomSource {

    private final Deque<float[]> values = new ArrayDeque<>();
    private final Deque<Shape> shapes = new ArrayDeque<>();
    private int served;

    /** @param draws the recorded draws in call order, each with its shape */
    public Replay(List<float[]> draws, List<Shape> drawShapes) {
        if (draws.size() != drawShapes.size()) {
            throw new IllegalArgumentException(draws.size() + " draws but " + drawShapes.size() + " shapes");
        }
        values.addAll(draws);
        shapes.addAll(drawShapes);
    }

    @Override
    public NDArray uniform(NDManager manager, Shape shape) {
        return next(manager, shape);
    }

    @Override
    public NDArray normal(NDManager manager, Shape shape) {
        return next(manager, shape);
    }

    /** Draws not consumed yet. */
    public int remaining() {
        return values.size();
    }

    private NDArray next(NDManager manager, Shape shape) {
        if (values.isEmpty()) {
            throw new IllegalStateException("draw #" + served + " of shape " + shape + " requested, but the recording has only " + served);
        }
        Shape recorded = shapes.pop();
        float[] data = values.pop();
        if (recorded.size() != shape.size()) {
            throw new IllegalStateException("draw #" + served + ": requested shape " + shape + " but recorded " + recorded);
        }
        served++;
        return Tensors.of(manager, data, shape);
    }
}
