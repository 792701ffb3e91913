package dev.titok.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.titok.TitokException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Sizes of the MaskGIT-VQGAN convolutional encoder/decoder and its codebook (SPEC §3.1). The official values are
 * hard-coded in the reference code ({@link #OFFICIAL}); the {@code arch} block of a config can override them for
 * small models.
 */
public record VqganConfig(List<Integer> channelMult, int hiddenChannels, int numResBlocks, int resolution,
                          int zChannels, int numChannels, int codebookSize) {

    /** The released model: f16, 128 base channels, 1024 codes of 256 dims. */
    public static final VqganConfig OFFICIAL = new VqganConfig(List.of(1, 1, 2, 2, 4), 128, 2, 256, 256, 3, 1024);

    public VqganConfig {
        channelMult = List.copyOf(channelMult);
        if (channelMult.isEmpty() || hiddenChannels <= 0 || numResBlocks <= 0 || zChannels <= 0 || codebookSize <= 0
                || numChannels <= 0 || resolution <= 0) {
            throw new TitokException("pixel decoder config: expected positive sizes and a non-empty channel_mult, found "
                    + channelMult + ", hidden " + hiddenChannels + ", res blocks " + numResBlocks + ", z " + zChannels
                    + ", codebook " + codebookSize);
        }
        for (int mult : channelMult) {
            if (mult <= 0 || (hiddenChannels * mult) % 32 != 0) {
                throw new TitokException("pixel decoder config: channel_mult " + channelMult + " with hidden_channels "
                        + hiddenChannels + " gives channel counts that GroupNorm(32) cannot split");
            }
        }
    }

    private static final Set<String> VQ_MODEL_KEYS = Set.of("pixel_vqgan_config", "pixel_quantizer");
    private static final Set<String> PIXEL_KEYS = Set.of("channel_mult", "num_resolutions", "dropout",
            "hidden_channels", "num_channels", "num_res_blocks", "resolution", "z_channels");
    private static final Set<String> QUANTIZER_KEYS = Set.of("num_embeddings", "embedding_dim", "commitment_cost");

    /**
     * Reads a MaskGIT-VQGAN {@code config.json}: {@code model.vq_model.pixel_vqgan_config} (the decoder/encoder sizes)
     * and {@code model.vq_model.pixel_quantizer} (the codebook). The official weights come without a config: use
     * {@link #OFFICIAL}.
     */
    public static VqganConfig read(Path file) {
        return fromTree(ConfigFields.readObject(file, "model.vq_model.pixel_vqgan_config"), file.toString());
    }

    /** The same from a parsed config tree (a teacher's training config has this layout too). */
    public static VqganConfig fromTree(JsonNode root, String source) {
        JsonNode vq = root.path("model").path("vq_model");
        if (!vq.has("pixel_vqgan_config")) {
            throw new TitokException(source + ": no model.vq_model.pixel_vqgan_config: expected a MaskGIT-VQGAN config");
        }
        ConfigFields f = new ConfigFields(source);
        f.rejectUnknown(vq, VQ_MODEL_KEYS, "model.vq_model");
        return fromJson(vq.get("pixel_vqgan_config"), vq.path("pixel_quantizer"), f);
    }

    /** Builds the config from a {@code pixel_vqgan_config}-style and a {@code pixel_quantizer}-style JSON object. */
    static VqganConfig fromJson(JsonNode pixel, JsonNode quantizer, ConfigFields f) {
        f.rejectUnknown(pixel, PIXEL_KEYS, "pixel_vqgan_config");
        f.rejectUnknown(quantizer, QUANTIZER_KEYS, "pixel_quantizer");
        String source = f.source();
        List<Integer> mult = new ArrayList<>();
        pixel.path("channel_mult").forEach(n -> mult.add(n.asInt()));
        if (pixel.has("num_resolutions") && pixel.get("num_resolutions").asInt() != mult.size()) {
            throw new TitokException(source + ": num_resolutions " + pixel.get("num_resolutions") + " does not match channel_mult " + mult);
        }
        int z = f.requireInt(pixel, "z_channels", "pixel_vqgan_config");
        int dim = f.requireInt(quantizer, "embedding_dim", "pixel_quantizer");
        if (dim != z) {
            throw new TitokException(source + ": pixel_quantizer.embedding_dim " + dim + " must equal z_channels " + z);
        }
        return new VqganConfig(mult, f.requireInt(pixel, "hidden_channels", "pixel_vqgan_config"),
                f.requireInt(pixel, "num_res_blocks", "pixel_vqgan_config"),
                f.requireInt(pixel, "resolution", "pixel_vqgan_config"), z,
                pixel.has("num_channels") ? f.requireInt(pixel, "num_channels", "pixel_vqgan_config") : 3,
                f.requireInt(quantizer, "num_embeddings", "pixel_quantizer"));
    }

    public int numResolutions() {
        return channelMult.size();
    }

    /** Down- or up-sampling factor between pixels and the code grid. */
    public int downsampleFactor() {
        return 1 << (numResolutions() - 1);
    }
}
