package dev.titok.generator;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.titok.io.HostTensor;
import dev.titok.io.SafeTensors;
import dev.titok.io.WeightsFile;
import dev.titok.tensor.Replay;
import dev.titok.testing.Fixtures;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * One generator case of the fixture folder: its config, weights and {@code io.safetensors} (tensors and the
 * {@code descriptions} metadata saying which official call produced each).
 */
record GeneratorFixture(Path dir, GeneratorConfig config, Map<String, HostTensor> io, JsonNode descriptions) {

    /** Every case whose config has {@code model.generator} and whose io tensor names satisfy {@code kind}. */
    static List<Path> cases(Predicate<Set<String>> kind) {
        return Fixtures.cases(c -> c.path("model").has("generator")).stream()
                .filter(dir -> {
                    try (SafeTensors io = SafeTensors.open(dir.resolve("io.safetensors"))) {
                        return kind.test(io.names());
                    }
                })
                .toList();
    }

    static GeneratorFixture open(Path dir) {
        try (SafeTensors io = SafeTensors.open(dir.resolve("io.safetensors"))) {
            String descriptions = io.metadata().getOrDefault("descriptions", "{}");
            return new GeneratorFixture(dir, GeneratorConfig.read(dir.resolve("config.json")), io.tensors(),
                    new ObjectMapper().readTree(descriptions));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The official weights, strictly loaded into the generator class the config names. */
    GeneratorModel loadModel() {
        Path file = dir.resolve("model.safetensors");
        return GeneratorModel.load(config, WeightsFile.load(file), file.toString());
    }

    /** What the fixture says about a tensor, e.g. which call produced it and with which arguments. */
    String description(String name) {
        return descriptions.path(name).asText("");
    }

    /** The recorded draws whose names start with {@code prefix} ("rand." or "run0.rand."), in call order. */
    Replay replay(String prefix) {
        List<float[]> draws = new ArrayList<>();
        List<Shape> shapes = new ArrayList<>();
        io.keySet().stream().filter(k -> k.startsWith(prefix)).sorted().forEach(k -> {
            draws.add(io.get(k).toFloats());
            shapes.add(new Shape(io.get(k).shape()));
        });
        return new Replay(draws, shapes);
    }

    /** An integer tensor of the io file as an int64 NDArray. */
    NDArray longs(NDManager manager, String name) {
        HostTensor t = io.get(name);
        return manager.create(t.toLongs(), new Shape(t.shape()));
    }
}
