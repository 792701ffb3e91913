package dev.titok.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.titok.tensor.Seeded;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Everything of a training run that a {@link Checkpointer} saves and restores, registered once by name: tensor state
 * (model, EMA, optimizer, discriminator, …; one {@code NAME.safetensors} file each), random sources, and a snapshot of
 * the run's configuration.
 *
 * <pre>{@code
 * TrainingState state = new TrainingState()
 *         .add("model", new ModuleWeights(model))
 *         .add("ema", ema)
 *         .add("optimizer", optimizer)
 *         .random("random", random)
 *         .config(configJson);
 * }</pre>
 */
public final class TrainingState {

    static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final Pattern NAME = Pattern.compile("[a-z0-9_]+");

    private final Map<String, Checkpointable> parts = new LinkedHashMap<>();
    private final Map<String, Seeded> randoms = new LinkedHashMap<>();
    private JsonNode config = JSON.createObjectNode();

    /** Registers tensor state saved as {@code name.safetensors}; name in {@code [a-z0-9_]+}. */
    public TrainingState add(String name, Checkpointable part) {
        register(parts, name, part);
        return this;
    }

    /** Registers a random source whose position is saved and restored. */
    public TrainingState random(String name, Seeded source) {
        register(randoms, name, source);
        return this;
    }

    /**
     * The configuration of the run as a JSON document, saved as {@code config.json} in every checkpoint.
     *
     * @throws IllegalArgumentException when {@code json} is not valid JSON
     */
    public TrainingState config(String json) {
        this.config = parse(json, "config");
        return this;
    }

    Map<String, Checkpointable> parts() {
        return Collections.unmodifiableMap(parts);
    }

    Map<String, Seeded> randoms() {
        return Collections.unmodifiableMap(randoms);
    }

    JsonNode config() {
        return config;
    }

    static JsonNode parse(String json, String what) {
        try {
            JsonNode node = JSON.readTree(json);
            if (node == null || node.isMissingNode()) {
                throw new IllegalArgumentException(what + " is empty: expected a JSON value");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(what + " is not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    private static <T> void register(Map<String, T> map, String name, T value) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("checkpoint part names use [a-z0-9_]+, got '" + name + "'");
        }
        if (map.putIfAbsent(name, value) != null) {
            throw new IllegalArgumentException("'" + name + "' is registered twice");
        }
    }
}
