package dev.titok.config;

import dev.titok.TitokException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The official TiTok inference configs ({@code configs/infer/TiTok/*.yaml}, SPEC §2.4) by name, so that
 * {@code --model titok_l32 --weights tokenizer_titok_l32.bin} needs no config file.
 */
public final class Presets {

    private static final Map<String, TiTokConfig> TOKENIZERS = new LinkedHashMap<>();

    static {
        TransformerSize s = TransformerSize.SMALL;
        TransformerSize b = TransformerSize.BASE;
        TransformerSize l = TransformerSize.LARGE;
        twoStage("titok_l32", l, 32);
        twoStage("titok_b64", b, 64);
        twoStage("titok_s128", s, 128);
        vq8k("titok_bl64_vq8k", b, l, 64);
        vq8k("titok_bl128_vq8k", b, l, 128);
        vq8k("titok_sl256_vq8k", s, l, 256);
        vae("titok_ll32_vae_c16", l, l, 32);
        vae("titok_bl64_vae_c16", b, l, 64);
        vae("titok_bl128_vae_c16", b, l, 128);
    }

    private Presets() {}

    /** Names of the built-in tokenizer configs, in the order of the official README. */
    public static Set<String> names() {
        return TOKENIZERS.keySet();
    }

    public static boolean isPreset(String name) {
        return TOKENIZERS.containsKey(name);
    }

    /** The config of an official tokenizer, or an error listing the known names. */
    public static TiTokConfig tokenizer(String name) {
        TiTokConfig config = TOKENIZERS.get(name);
        if (config == null) {
            throw new TitokException("unknown model preset '" + name + "': expected a model folder or one of " + names());
        }
        return config;
    }

    /** L-32 / B-64 / S-128: legacy ViTs with cosine VQ (4096 × 12) and the MaskGIT-VQGAN pixel decoder. */
    private static void twoStage(String name, TransformerSize size, int tokens) {
        add(new TiTokConfig(name, size, size, 16, 16, 256, tokens, 12, QuantizeMode.VQ, 4096, true, 0.25, true, true,
                1e-5, VqganConfig.OFFICIAL));
    }

    /** Single-stage VQ models with an 8192 × 64 codebook and an RGB decoder head. */
    private static void vq8k(String name, TransformerSize enc, TransformerSize dec, int tokens) {
        add(new TiTokConfig(name, enc, dec, 16, 16, 256, tokens, 64, QuantizeMode.VQ, 8192, false, 0.25, false, false,
                1e-5, null));
    }

    /** Continuous-token models with 16 channels per token and an RGB decoder head. */
    private static void vae(String name, TransformerSize enc, TransformerSize dec, int tokens) {
        add(new TiTokConfig(name, enc, dec, 16, 16, 256, tokens, 16, QuantizeMode.VAE, 0, false, 0.0, false, false,
                1e-5, null));
    }

    private static void add(TiTokConfig config) {
        TOKENIZERS.put(config.name(), config);
    }
}
