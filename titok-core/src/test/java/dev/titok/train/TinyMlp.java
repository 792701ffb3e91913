package dev.titok.train;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import dev.titok.io.HostTensor;
import dev.titok.nn.LayerNorm;
import dev.titok.nn.Linear;
import dev.titok.nn.Model;
import java.util.Map;
import java.util.Set;

/**
 * A small model built from the library's modules, {@code fc2(gelu(norm(fc1(x))))}: both parameter groups of the
 * official rule (weights decay; biases and the norm do not).
 */
final class TinyMlp extends Model {

    static final int IN = 16;
    static final int HIDDEN = 32;
    static final int OUT = 8;

    private final Linear fc1 = child("fc1", new Linear(IN, HIDDEN));
    private final LayerNorm norm = child("norm", new LayerNorm(HIDDEN, 1e-5));
    private final Linear fc2 = child("fc2", new Linear(HIDDEN, OUT));

    static TinyMlp random(long seed) {
        TinyMlp model = new TinyMlp();
        model.initializeRandomly(seed);
        return model;
    }

    /** A model whose weights are the given tensors, as loaded from a file (possibly memory-mapped). */
    static TinyMlp load(Map<String, HostTensor> weights) {
        TinyMlp model = new TinyMlp();
        model.loadWeights(weights, "test weights", Set.of());
        return model;
    }

    /** (B, IN) → (B, OUT). */
    NDArray forward(NDArray x) {
        return fc2.forward(Activation.gelu(norm.forward(fc1.forward(x))));
    }
}
