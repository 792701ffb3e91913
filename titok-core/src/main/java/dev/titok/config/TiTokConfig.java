package dev.titok.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.titok.TitokException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Everything that fixes the shape of a TiTok tokenizer, read from the official {@code config.json}
 * ({@code model.vq_model.*} and {@code dataset.preprocessing.crop_size}, SPEC §1.1) plus this project's {@code arch}
 * extension for sizes the official code hard-codes.
 *
 * @param name              preset name or the config file, for messages
 * @param encoder           encoder ViT size
 * @param decoder           decoder ViT size
 * @param encoderPatchSize  patch side of the encoder's patch embedding
 * @param decoderPatchSize  patch side the decoder predicts (grid = imageSize / decoderPatchSize)
 * @param imageSize         input side in pixels (positional embeddings are sized for it)
 * @param numLatentTokens   K, tokens per image
 * @param tokenSize         C, dimensions of one token
 * @param quantizeMode      vq or vae
 * @param codebookSize      N (vq only, else 0)
 * @param useL2Norm         cosine-similarity quantization (vq only)
 * @param commitmentCost    β of the commitment loss (vq only)
 * @param finetuneDecoder   stage-2 model: proxy-code logits → soft VQGAN codebook mixture → pixel decoder
 * @param legacy            legacy encoder reshape and 1024-logit decoder head
 * @param layerNormEps      LayerNorm epsilon of the ViTs
 * @param pixel             the MaskGIT-VQGAN pixel decoder (stage-2 models) or null
 */
public record TiTokConfig(String name, TransformerSize encoder, TransformerSize decoder, int encoderPatchSize,
                          int decoderPatchSize, int imageSize, int numLatentTokens, int tokenSize,
                          QuantizeMode quantizeMode, int codebookSize, boolean useL2Norm, double commitmentCost,
                          boolean finetuneDecoder, boolean legacy, double layerNormEps, VqganConfig pixel) {

    /** The legacy decoder head always predicts logits over the 1024 MaskGIT-VQGAN codes. */
    public static final int PROXY_CODES = 1024;

    private static final Set<String> VQ_MODEL_KEYS = Set.of("codebook_size", "token_size", "use_l2_norm",
            "commitment_cost", "vit_enc_model_size", "vit_dec_model_size", "vit_enc_patch_size", "vit_dec_patch_size",
            "num_latent_tokens", "finetune_decoder", "quantize_mode", "is_legacy", "pretrained_tokenizer_weight");
    private static final Set<String> ARCH_KEYS = Set.of("encoder", "decoder", "layernorm_eps", "pixel_decoder_config",
            "pixel_quantizer", "replaced_official_values");
    private static final Set<String> ARCH_VIT_KEYS = Set.of("model_size", "width", "num_layers", "num_heads",
            "mlp_ratio", "patch_size", "grid_size", "is_legacy", "token_size");

    public TiTokConfig {
        List<String> problems = new ArrayList<>();
        if (imageSize <= 0 || encoderPatchSize <= 0 || imageSize % encoderPatchSize != 0) {
            problems.add("crop_size " + imageSize + " must be a positive multiple of vit_enc_patch_size " + encoderPatchSize);
        }
        if (decoderPatchSize <= 0 || imageSize % decoderPatchSize != 0) {
            problems.add("crop_size " + imageSize + " must be a positive multiple of vit_dec_patch_size " + decoderPatchSize);
        }
        if (numLatentTokens <= 0) {
            problems.add("num_latent_tokens must be positive, found " + numLatentTokens);
        }
        if (tokenSize <= 0) {
            problems.add("token_size must be positive, found " + tokenSize);
        }
        if (quantizeMode == QuantizeMode.VQ && codebookSize <= 0) {
            problems.add("codebook_size must be positive for quantize_mode vq, found " + codebookSize);
        }
        if (finetuneDecoder && quantizeMode != QuantizeMode.VQ) {
            problems.add("finetune_decoder is only allowed with quantize_mode vq (as in the official code)");
        }
        if (finetuneDecoder && !legacy) {
            problems.add("finetune_decoder needs is_legacy true: the pixel decoder consumes the 1024 proxy-code logits");
        }
        if (finetuneDecoder && pixel == null) {
            problems.add("a finetune_decoder model needs a pixel decoder config");
        }
        if (finetuneDecoder && pixel != null && pixel.downsampleFactor() * imageSize / decoderPatchSize != imageSize) {
            problems.add("the pixel decoder upsamples by " + pixel.downsampleFactor() + " but the decoder grid "
                    + imageSize / Math.max(decoderPatchSize, 1) + " must reach " + imageSize + " pixels");
        }
        if (!problems.isEmpty()) {
            throw new TitokException(name + ": invalid config: " + String.join("; ", problems));
        }
    }

    /** Encoder patch grid side (16 for the released 256-pixel models). */
    public int encoderGrid() {
        return imageSize / encoderPatchSize;
    }

    /** Decoder grid side: the decoder predicts one output per cell of this grid. */
    public int decoderGrid() {
        return imageSize / decoderPatchSize;
    }

    /** Channels the encoder emits per token: C for vq, 2C (mean and log-variance) for vae. */
    public int encoderOutputChannels() {
        return quantizeMode == QuantizeMode.VAE ? 2 * tokenSize : tokenSize;
    }

    /** Reads a model folder's {@code config.json} (or a config file given directly). */
    public static TiTokConfig read(Path file) {
        return fromJson(ConfigFields.readObject(file, "model.vq_model"), file.toString());
    }

    /** Parses the official config tree (strict inside {@code model.vq_model} and {@code arch}). */
    public static TiTokConfig fromJson(JsonNode root, String source) {
        JsonNode vq = root.path("model").path("vq_model");
        if (!vq.isObject()) {
            throw new TitokException(source + ": no model.vq_model section: expected the official TiTok config tree");
        }
        ConfigFields f = new ConfigFields(source);
        f.rejectUnknown(vq, VQ_MODEL_KEYS, "model.vq_model");
        JsonNode arch = root.path("arch");
        if (!arch.isMissingNode()) {
            f.rejectUnknown(arch, ARCH_KEYS, "arch");
        }
        int imageSize = f.requireInt(root.path("dataset").path("preprocessing"), "crop_size", "dataset.preprocessing");
        QuantizeMode mode = switch (f.string(vq, "quantize_mode", "model.vq_model", "vq")) {
            case "vq" -> QuantizeMode.VQ;
            case "vae" -> QuantizeMode.VAE;
            default -> throw new TitokException(source + ": model.vq_model.quantize_mode is '" + vq.get("quantize_mode").asText()
                    + "': expected vq or vae");
        };
        boolean legacy = f.bool(vq, "is_legacy", "model.vq_model", true);
        boolean finetune = f.bool(vq, "finetune_decoder", "model.vq_model", true);
        int tokenSize = f.requireInt(vq, "token_size", "model.vq_model");
        TransformerSize encoder = size(f, vq.path("vit_enc_model_size"), arch.path("encoder"), "vit_enc_model_size");
        TransformerSize decoder = size(f, vq.path("vit_dec_model_size"), arch.path("decoder"), "vit_dec_model_size");
        int codebook = mode == QuantizeMode.VQ ? f.requireInt(vq, "codebook_size", "model.vq_model") : 0;
        boolean l2 = mode == QuantizeMode.VQ && f.requireBool(vq, "use_l2_norm", "model.vq_model");
        double beta = mode == QuantizeMode.VQ ? f.requireDouble(vq, "commitment_cost", "model.vq_model") : 0.0;
        double eps = arch.has("layernorm_eps") ? f.requireDouble(arch, "layernorm_eps", "arch") : 1e-5;
        VqganConfig pixel = finetune ? pixelConfig(f, arch) : null;
        return new TiTokConfig(source, encoder, decoder, f.requireInt(vq, "vit_enc_patch_size", "model.vq_model"),
                f.requireInt(vq, "vit_dec_patch_size", "model.vq_model"), imageSize,
                f.requireInt(vq, "num_latent_tokens", "model.vq_model"), tokenSize, mode, codebook, l2, beta, finetune,
                legacy, eps, pixel);
    }

    private static TransformerSize size(ConfigFields f, JsonNode nameNode, JsonNode arch, String key) {
        if (!nameNode.isTextual()) {
            throw new TitokException(f.source() + ": model.vq_model." + key + " is missing: expected small, base or large");
        }
        String name = nameNode.asText();
        if (arch.isMissingNode()) {
            return TransformerSize.named(name, f.source());
        }
        f.rejectUnknown(arch, ARCH_VIT_KEYS, "arch." + key);
        return new TransformerSize(name, f.requireInt(arch, "width", "arch"), f.requireInt(arch, "num_layers", "arch"),
                f.requireInt(arch, "num_heads", "arch"), arch.has("mlp_ratio") ? f.requireDouble(arch, "mlp_ratio", "arch." + key) : 4.0);
    }

    private static VqganConfig pixelConfig(ConfigFields f, JsonNode arch) {
        JsonNode pd = arch.path("pixel_decoder_config");
        JsonNode pq = arch.path("pixel_quantizer");
        if (pd.isMissingNode() && pq.isMissingNode()) {
            return VqganConfig.OFFICIAL;
        }
        VqganConfig pixel = VqganConfig.fromJson(pd, pq, f);
        if (pixel.codebookSize() != PROXY_CODES) {
            throw new TitokException(f.source() + ": arch.pixel_quantizer.num_embeddings is " + pixel.codebookSize()
                    + ": expected " + PROXY_CODES + " (the decoder head predicts 1024 proxy codes)");
        }
        return pixel;
    }
}
