package dev.titok.tokenizer;

/**
 * Which encoder tensor {@link TiTok#encoderFeatures} turns into one vector per image: the frozen features a linear probe
 * (paper §4.1) classifies. The paper does not say which tensor it pooled (SPEC §6.4), so both candidates are offered.
 */
public enum EncoderFeatures {

    /**
     * The K latent tokens after the encoder's final LayerNorm ({@code ln_post}), width values each: the richest
     * representation, before the projection to the token size.
     */
    ENCODER,

    /**
     * The K latent tokens the quantizer receives, token_size values each: the raw encoder output z (not yet
     * l2-normalised, for models that normalise) for vq models, the posterior mean for vae models.
     */
    Z;

    /** How the K per-token vectors of an image become one. */
    public enum Pooling {
        /** Their mean: one token's length, whatever K. */
        MEAN,
        /** Token after token: K times one token's length. */
        CONCAT
    }
}
