package dev.titok.generator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.titok.nn.Parameter;
import dev.titok.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Each built-in generator preset must build exactly the state dict of the official model: every key, in order, with
 * its shape, and the parameter count. The schemas were listed by instantiating the official classes.
 */
class GeneratorSchemaTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TestFactory
    Stream<DynamicTest> everyPresetMatchesTheOfficialSchema() {
        Path schemas = Fixtures.root().resolve("schemas");
        return GeneratorPresets.names().stream().map(name -> DynamicTest.dynamicTest(name, () -> {
            Path file = schemas.resolve(name + ".generator.json");
            assertThat(file).as("official generator schema of " + name).exists();
            JsonNode schema = JSON.readTree(file.toFile());
            GeneratorModel model = GeneratorModel.create(GeneratorPresets.generator(name));
            assertThat(schema.get("class").asText()).as(name + " class")
                    .isEqualTo("modeling.maskgit." + model.getClass().getSimpleName());
            Map<String, Parameter> params = model.namedParameters();

            List<String> expectedKeys = new ArrayList<>();
            schema.get("state_dict").fieldNames().forEachRemaining(expectedKeys::add);
            assertThat(new ArrayList<>(params.keySet())).as(name + " keys in state-dict order").isEqualTo(expectedKeys);
            for (String key : expectedKeys) {
                long[] shape = JSON.convertValue(schema.get("state_dict").get(key).get("shape"), long[].class);
                assertThat(params.get(key).shape().getShape()).as(name + " " + key).isEqualTo(shape);
            }
            assertThat(model.parameterCount()).as(name + " parameter count").isEqualTo(schema.get("param_count").asLong());
        }));
    }

    @Test
    void everyOfficialGeneratorSchemaHasAPreset() throws IOException {
        JsonNode index = JSON.readTree(Fixtures.root().resolve("schemas/index.json").toFile());
        List<String> generators = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = index.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue().path("class").asText().startsWith("modeling.maskgit.")) {
                generators.add(e.getKey().replace(".generator", ""));
            }
        }
        assertThat(GeneratorPresets.names()).containsExactlyInAnyOrderElementsOf(generators);
    }

    @Test
    void presetConfigsMatchTheOfficialYamlValues() throws IOException {
        for (String name : GeneratorPresets.names()) {
            JsonNode config = JSON.readTree(Fixtures.root().resolve("schemas/" + name + ".generator.json").toFile()).get("config");
            GeneratorConfig parsed = GeneratorConfig.fromJson(config, name);
            assertThat(parsed).as(name).isEqualTo(GeneratorPresets.generator(name));
        }
    }
}
