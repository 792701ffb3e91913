package dev.titok.generator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.titok.TitokException;
import dev.titok.generator.GeneratorConfig.ModelType;
import dev.titok.io.HostTensor;
import dev.titok.io.WeightsFile;
import dev.titok.testing.Fixtures;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The config parser accepts the official and fixture configs and rejects anything else in one line naming the key. */
class GeneratorConfigTest {

    private static final String SOURCE = "gen/config.json";

    /** The shape of the fixtures' configs: the generator block, the codebook size and the {@code arch} extension. */
    private static ObjectNode tiny() throws Exception {
        return (ObjectNode) new ObjectMapper().readTree("""
                {"model": {"vq_model": {"codebook_size": 64},
                           "generator": {"model_type": "ViT", "hidden_size": 64, "num_hidden_layers": 2,
                                         "num_attention_heads": 4, "intermediate_size": 128, "dropout": 0.1,
                                         "attn_drop": 0.1, "class_label_dropout": 0.1, "image_seq_len": 8,
                                         "condition_num_classes": 10}},
                 "arch": {"class": "ImageBert", "vocab_size": 76, "mask_token_id": 64, "class_token_ids": [65, 74],
                          "null_class_token_id": 75, "max_position_embeddings": 9, "bert": "post-LN",
                          "attn_implementation": "sdpa"},
                 "fixture": {"seed": 0}}
                """);
    }

    private static ObjectNode generator(ObjectNode root) {
        return (ObjectNode) root.get("model").get("generator");
    }

    private static ObjectNode arch(ObjectNode root) {
        return (ObjectNode) root.get("arch");
    }

    @Test
    void readsTheGeneratorBlockAndDerivesTheVocabulary() throws Exception {
        GeneratorConfig c = GeneratorConfig.fromJson(tiny(), SOURCE);
        assertThat(c.modelType()).isEqualTo(ModelType.VIT);
        assertThat(c.codebookSize()).isEqualTo(64);
        assertThat(c.numClasses()).isEqualTo(10);
        assertThat(c.imageSeqLen()).isEqualTo(8);
        assertThat(c.vocabSize()).isEqualTo(76);
        assertThat(c.maskTokenId()).isEqualTo(64);
        assertThat(c.classTokenId(0)).isEqualTo(65);
        assertThat(c.nullClassTokenId()).isEqualTo(75);
        assertThat(c.headDim()).isEqualTo(16);
    }

    @Test
    void samplingValuesDefaultToThoseOfTheOfficialGenerateSignature() throws Exception {
        GeneratorConfig c = GeneratorConfig.fromJson(tiny(), SOURCE);
        assertThat(c.numSteps()).isEqualTo(8);
        assertThat(c.randomizeTemperature()).isEqualTo(4.5);
        assertThat(c.guidanceScale()).isEqualTo(3.0);
        assertThat(c.guidanceDecay()).isEqualTo(GuidanceDecay.CONSTANT);
    }

    @Test
    void imageSeqLenDefaultsToTheTokenizersTokenCount() throws Exception {
        ObjectNode root = tiny();
        generator(root).remove("image_seq_len");
        root.remove("arch");
        ((ObjectNode) root.get("model").get("vq_model")).put("num_latent_tokens", 32);
        assertThat(GeneratorConfig.fromJson(root, SOURCE).imageSeqLen()).isEqualTo(32);
    }

    @Test
    void imageSeqLenMustMatchTheTokenizer() throws Exception {
        ObjectNode root = tiny();
        ((ObjectNode) root.get("model").get("vq_model")).put("num_latent_tokens", 32);
        assertOneLineError(root, "image_seq_len 8 differs from model.vq_model.num_latent_tokens 32");
    }

    @Test
    void unknownGeneratorKeyIsRejected() throws Exception {
        ObjectNode root = tiny();
        generator(root).put("hiden_size", 64);
        assertOneLineError(root, "unknown key(s) [hiden_size] in model.generator");
    }

    @Test
    void unknownArchKeyIsRejected() throws Exception {
        ObjectNode root = tiny();
        arch(root).put("width", 64);
        assertOneLineError(root, "unknown key(s) [width] in arch");
    }

    @Test
    void archValuesMustAgreeWithTheConfig() throws Exception {
        ObjectNode root = tiny();
        arch(root).put("vocab_size", 77);
        assertOneLineError(root, "arch.vocab_size is 77 but the generator config gives 76");
        ObjectNode other = tiny();
        arch(other).put("class", "UViTBert");
        assertOneLineError(other, "arch.class is \"UViTBert\" but model_type ViT builds ImageBert");
        ObjectNode ids = tiny();
        arch(ids).putArray("class_token_ids").add(65).add(75);
        assertOneLineError(ids, "arch.class_token_ids is [65,75]: expected [65, 74]");
    }

    @Test
    void missingOrWrongValuesNameTheKey() throws Exception {
        ObjectNode missing = tiny();
        generator(missing).remove("hidden_size");
        assertOneLineError(missing, "model.generator.hidden_size is missing: expected an integer");
        ObjectNode type = tiny();
        generator(type).put("model_type", "DiT");
        assertOneLineError(type, "model.generator.model_type is 'DiT': expected ViT or UViT");
        ObjectNode decay = tiny();
        generator(decay).put("guidance_decay", "cosine");
        assertOneLineError(decay, "guidance_decay: unknown guidance decay 'cosine': expected one of constant, linear, power-cosine");
        ObjectNode heads = tiny();
        generator(heads).put("num_attention_heads", 5);
        assertOneLineError(heads, "hidden_size 64 is not a multiple of num_attention_heads 5");
        ObjectNode noCodebook = tiny();
        ((ObjectNode) noCodebook.get("model").get("vq_model")).remove("codebook_size");
        assertOneLineError(noCodebook, "model.vq_model.codebook_size is missing");
    }

    @Test
    void aTokenizerConfigIsNotAGeneratorConfig() throws Exception {
        ObjectNode root = tiny();
        ((ObjectNode) root.get("model")).remove("generator");
        assertOneLineError(root, "no model.generator section");
    }

    @Test
    void modelClassMustMatchTheModelType() throws Exception {
        GeneratorConfig vit = GeneratorConfig.fromJson(tiny(), SOURCE);
        assertThatThrownBy(() -> new UViTBert(vit)).isInstanceOf(TitokException.class)
                .hasMessage(SOURCE + ": model_type ViT builds ImageBert, not UViTBert");
    }

    /** The sampler's fixture: its config parses and its weights load strictly into the class it names. */
    @Test
    void samplingFixtureConfigAndWeightsLoad() {
        Path dir = Fixtures.root().resolve("maskgit_sampling");
        GeneratorConfig config = GeneratorConfig.read(dir.resolve("config.json"));
        Map<String, HostTensor> weights = WeightsFile.load(dir.resolve("model.safetensors"));
        try (GeneratorModel model = GeneratorModel.load(config, weights, dir.toString())) {
            assertThat(model).isInstanceOf(ImageBert.class);
            assertThat(model.sequenceLength()).isEqualTo(16);
            assertThat(model.parameterCount()).isEqualTo(weights.values().stream().mapToLong(HostTensor::numel).sum());
        }
    }

    @Test
    void strayPositionIdsBufferIsIgnoredButOtherKeysAreNot() throws Exception {
        GeneratorConfig config = GeneratorConfig.fromJson(tiny(), SOURCE);
        Map<String, HostTensor> weights = new LinkedHashMap<>();
        GeneratorModel shapes = GeneratorModel.create(config);
        shapes.namedParameters().forEach((name, p) -> weights.put(name,
                HostTensor.ofFloats(p.shape().getShape(), new float[Math.toIntExact(p.shape().size())])));
        weights.put("model.embeddings.position_ids", HostTensor.ofLongs(new long[] {1, 9}, new long[9]));
        try (GeneratorModel model = ImageBert.load(config, weights, "w.safetensors")) {
            assertThat(model.namedParameters().get("model.lm_head.bias").hasValue()).isTrue();
        }
        weights.put("model.pooler.dense.weight", HostTensor.ofFloats(new long[] {1}, new float[1]));
        weights.remove("model.lm_head.bias");
        assertThatThrownBy(() -> ImageBert.load(config, weights, "w.safetensors"))
                .isInstanceOf(TitokException.class)
                .hasMessageContaining("w.safetensors")
                .hasMessageContaining("1 missing [model.lm_head.bias]")
                .hasMessageContaining("1 unexpected [model.pooler.dense.weight]")
                .hasMessageNotContaining("\n");
    }

    private static void assertOneLineError(ObjectNode root, String expected) {
        assertThatThrownBy(() -> GeneratorConfig.fromJson(root, SOURCE))
                .isInstanceOf(TitokException.class)
                .hasMessageStartingWith(SOURCE + ": ")
                .hasMessageContaining(expected)
                .hasMessageNotContaining("\n");
    }
}
