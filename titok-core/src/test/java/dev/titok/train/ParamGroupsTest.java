package dev.titok.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.types.Shape;
import dev.titok.config.Presets;
import dev.titok.generator.GeneratorModel;
import dev.titok.generator.GeneratorPresets;
import dev.titok.nn.Module;
import dev.titok.nn.Parameter;
import dev.titok.tokenizer.TiTok;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The official weight-decay grouping on the real parameter names of the released models (SPEC §5.1). */
class ParamGroupsTest {

    /** Module trees only: building them allocates no tensors. */
    private static List<ParamGroup> groups(Module module) {
        return ParamGroups.official(module.namedParameters(), 1e-4);
    }

    private static void assertSplit(List<ParamGroup> groups, Module module) {
        assertThat(groups).hasSize(2);
        assertThat(groups.get(0).weightDecay()).isZero();
        assertThat(groups.get(1).weightDecay()).isEqualTo(1e-4);
        assertThat(groups.get(0).params().size() + groups.get(1).params().size())
                .isEqualTo(module.namedParameters().size());
    }

    @Test
    void titokStageTwoModel() {
        TiTok titok = new TiTok(Presets.tokenizer("titok_l32"));
        List<ParamGroup> groups = groups(titok);
        assertSplit(groups, titok);
        Map<String, Parameter> noDecay = groups.get(0).params();
        Map<String, Parameter> decay = groups.get(1).params();
        assertThat(noDecay).containsKeys(
                "latent_tokens",
                "encoder.patch_embed.weight",              // a 4-D conv kernel, excluded by "embed"
                "encoder.patch_embed.bias",
                "encoder.class_embedding",
                "encoder.positional_embedding",
                "encoder.transformer.0.ln_1.weight",
                "encoder.transformer.0.attn.in_proj_bias",
                "decoder.decoder_embed.weight",            // a linear weight, excluded by "embed"
                "decoder.mask_token",
                "decoder.latent_token_positional_embedding",
                "quantize.embedding.weight",
                "pixel_quantize.embedding.weight");
        assertThat(decay).containsKeys(
                "encoder.transformer.0.attn.in_proj_weight",
                "encoder.transformer.0.attn.out_proj.weight",
                "encoder.transformer.23.mlp.c_fc.weight",
                "encoder.conv_out.weight",
                "decoder.transformer.0.mlp.c_proj.weight",
                "decoder.ffn.0.weight");
        assertThat(decay.keySet()).allSatisfy(name -> assertThat(name).doesNotContain("bias", "embed", "ln_"));
        assertThat(decay.values()).allSatisfy(p -> assertThat(p.shape().dimension()).isGreaterThanOrEqualTo(2));
    }

    @Test
    void imageBertGenerator() {
        GeneratorModel bert = GeneratorModel.create(GeneratorPresets.generator("titok_l32"));
        List<ParamGroup> groups = groups(bert);
        assertSplit(groups, bert);
        assertThat(groups.get(0).params()).containsKeys(
                "model.embeddings.word_embeddings.weight",
                "model.embeddings.position_embeddings.weight",
                "model.embeddings.LayerNorm.weight",                      // "LayerNorm" ≠ "norm": out only for being 1-D
                "model.encoder.layer.0.attention.output.LayerNorm.bias",
                "model.lm_head.bias");
        assertThat(groups.get(1).params()).containsKeys(
                "model.encoder.layer.0.attention.self.query.weight",
                "model.encoder.layer.0.intermediate.dense.weight",
                "model.encoder.layer.23.output.dense.weight",
                "model.lm_head.weight");
    }

    @Test
    void uvitGenerator() {
        GeneratorModel uvit = GeneratorModel.create(GeneratorPresets.generator("titok_s128"));
        List<ParamGroup> groups = groups(uvit);
        assertSplit(groups, uvit);
        assertThat(groups.get(0).params()).containsKeys("pos_embed", "embeddings.weight", "norm.weight",
                "in_blocks.0.norm1.weight");
        assertThat(groups.get(1).params()).containsKeys("in_blocks.0.attn.qkv.weight", "mid_block.mlp.fc1.weight",
                "out_blocks.0.skip_linear.weight", "lm_head.weight");
    }

    @Test
    void ruleIsCaseSensitiveAndSubstringBased() {
        Shape matrix = new Shape(4, 4);
        assertThat(ParamGroups.decays("block.LN.weight", matrix)).isTrue();
        assertThat(ParamGroups.decays("block.kiln.weight", matrix)).as("any 'ln' substring").isFalse();
        assertThat(ParamGroups.decays("gamma_scale", matrix)).isFalse();
        assertThat(ParamGroups.decays("fc.weight", new Shape(4))).isFalse();
        assertThat(ParamGroups.decays("fc.weight", matrix)).isTrue();
    }
}
