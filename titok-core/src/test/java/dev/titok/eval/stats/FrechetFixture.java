package dev.titok.eval.stats;

import dev.titok.io.HostTensor;
import dev.titok.io.SafeTensors;
import dev.titok.testing.Fixtures;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code frechet} fixture: features, logits and the results of the official evaluator
 * ({@code VQGANEvaluator} of evaluator/evaluator.py, SciPy 1.13.1) and of ADM's formulas on them.
 */
final class FrechetFixture {

    /** The official run fed update() batches of this many samples. */
    static final int BATCH = 50;

    private final Map<String, HostTensor> io;

    private FrechetFixture(Map<String, HostTensor> io) {
        this.io = io;
    }

    /** Loads the fixture into the heap; skips the calling test when the fixtures are absent. */
    static FrechetFixture load() {
        try (SafeTensors st = SafeTensors.open(Fixtures.root().resolve("frechet/io.safetensors"))) {
            Map<String, HostTensor> copy = new LinkedHashMap<>();
            st.tensors().forEach((name, tensor) -> {
                ByteBuffer heap = ByteBuffer.allocate(tensor.data().remaining()).order(ByteOrder.LITTLE_ENDIAN);
                heap.put(tensor.data()).flip();
                copy.put(name, new HostTensor(tensor.dtype(), tensor.shape(), heap));
            });
            return new FrechetFixture(copy);
        }
    }

    HostTensor tensor(String name) {
        HostTensor tensor = io.get(name);
        if (tensor == null) {
            throw new AssertionError("the fixture has no tensor " + name);
        }
        return tensor;
    }

    boolean has(String name) {
        return io.containsKey(name);
    }

    double[] doubles(String name) {
        return tensor(name).toDoubles();
    }

    double scalar(String name) {
        return doubles(name)[0];
    }

    /** An integer scalar, e.g. a 0/1 flag. */
    long integer(String name) {
        return tensor(name).toLongs()[0];
    }

    /** Rows × columns of a 2-D tensor. */
    int[] shape(String name) {
        long[] shape = tensor(name).shape();
        return new int[] {(int) shape[0], (int) shape[1]};
    }

    /** Features fed in the official batches of 50. */
    static FeatureStatistics accumulate(double[] features, int rows, int dim) {
        FeatureStatistics statistics = new FeatureStatistics(dim);
        for (int from = 0; from < rows; from += BATCH) {
            int count = Math.min(BATCH, rows - from);
            statistics.add(Arrays.copyOfRange(features, from * dim, (from + count) * dim), count);
        }
        return statistics;
    }
}
