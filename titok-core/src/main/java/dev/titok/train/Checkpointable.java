package dev.titok.train;

import dev.titok.io.HostTensor;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Training state that a {@link Checkpointer} stores as one safetensors file (tensors plus string metadata) and
 * restores in place: model weights ({@link ModuleWeights}), {@link Ema} weights, {@link AdamW} moments.
 */
public interface Checkpointable {

    /** A copy of the current state in host memory. */
    State saveState();

    /**
     * Replaces the current state with one from {@link #saveState}, strictly: names and shapes must match.
     *
     * @param source the file it was read from, for error messages
     * @throws dev.titok.TitokException when the state does not fit
     */
    void loadState(State state, String source);

    /** Tensors by name and the metadata strings of one state file. */
    record State(Map<String, HostTensor> tensors, Map<String, String> metadata) {

        public State {
            tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
            metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        }
    }
}
