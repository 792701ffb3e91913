package dev.titok.image;

/**
 * How a model output value in [0, 1] becomes an 8-bit level. Both variants first clamp to [0, 1] (the decoders do
 * not clamp) and scale by 255 in float32, as the official PyTorch code does; NaN becomes 0.
 */
public enum Rounding {

    /** {@code round(255 * v)}, half to even like {@code torch.round}: the reconstruction evaluation (rFID, PSNR). */
    ROUND_HALF_EVEN {
        @Override
        int round(float scaled) {
            return (int) Math.rint(scaled);
        }
    },

    /** {@code uint8(255 * v)}, i.e. truncation: the official sampling script and demo, used for generation FID. */
    TRUNCATE {
        @Override
        int round(float scaled) {
            return (int) scaled;
        }
    };

    /**
     * The 8-bit level of one value.
     *
     * @param value a model output, nominally in [0, 1], possibly outside or NaN
     * @return 0..255
     */
    public int toLevel(float value) {
        float clamped = Math.max(0f, Math.min(1f, value));
        // Casting NaN to int gives 0, so a NaN output pixel becomes black instead of failing the whole image.
        return round(clamped * 255f);
    }

    abstract int round(float scaled);
}
