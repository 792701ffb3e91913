package dev.titok.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.titok.nn.Parameter;
import dev.titok.testing.Fixtures;
import dev.titok.tokenizer.TiTok;
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
 * Each built-in preset must build exactly the state dict of the official model: every key, in order, with its shape,
 * and the parameter count. The schemas were listed by instantiating the official classes.
 */
class PresetSchemaTest {

    @TestFactory
    Stream<DynamicTest> everyPresetMatchesTheOfficialSchema() {
        Path schemas = Fixtures.root().resolve("schemas");
        return Presets.names().stream().map(name -> DynamicTest.dynamicTest(name, () -> {
            Path file = schemas.resolve(name + ".json");
            assertThat(file).as("official schema of " + name).exists();
            JsonNode schema = new ObjectMapper().readTree(file.toFile());
            TiTok model = new TiTok(Presets.tokenizer(name));
            Map<String, Parameter> params = model.namedParameters();

            List<String> expectedKeys = new ArrayList<>();
            schema.get("state_dict").fieldNames().forEachRemaining(expectedKeys::add);
            assertThat(new ArrayList<>(params.keySet())).as(name + " keys in state-dict order").isEqualTo(expectedKeys);
            for (String key : expectedKeys) {
                long[] shape = new ObjectMapper().convertValue(schema.get("state_dict").get(key).get("shape"), long[].class);
                assertThat(params.get(key).shape().getShape()).as(name + " " + key).isEqualTo(shape);
            }
            assertThat(model.parameterCount()).as(name + " parameter count").isEqualTo(schema.get("param_count").asLong());
        }));
    }

    @Test
    void everyOfficialTokenizerSchemaHasAPreset() throws IOException {
        JsonNode index = new ObjectMapper().readTree(Fixtures.root().resolve("schemas/index.json").toFile());
        List<String> tokenizers = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = index.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue().path("class").asText().equals("modeling.titok.TiTok")) {
                tokenizers.add(e.getKey());
            }
        }
        assertThat(Presets.names()).containsExactlyInAnyOrderElementsOf(tokenizers);
    }

    @Test
    void presetConfigsMatchTheOfficialYamlValues() throws IOException {
        for (String name : Presets.names()) {
            JsonNode config = new ObjectMapper().readTree(Fixtures.root().resolve("schemas/" + name + ".json").toFile()).get("config");
            TiTokConfig parsed = TiTokConfig.fromJson(config, name);
            TiTokConfig preset = Presets.tokenizer(name);
            assertThat(parsed).usingRecursiveComparison().ignoringFields("name").as(name).isEqualTo(preset);
        }
    }
}
