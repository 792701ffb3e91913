package dev.titok.config;

import dev.titok.TitokException;
import java.util.List;

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

    public int numResolutions() {
        return channelMult.size();
    }

    /** Down- or up-sampling factor between pixels and the code grid. */
    public int downsampleFactor() {
        return 1 << (numResolutions() - 1);
    }
}
