package dev.titok.vqgan;

import ai.djl.ndarray.NDArray;
import dev.titok.config.VqganConfig;
import dev.titok.nn.Conv2d.Padding;
import dev.titok.nn.Conv2d;
import dev.titok.nn.GroupNorm;
import dev.titok.nn.Module;
import dev.titok.nn.ModuleList;
import dev.titok.tensor.Ops;
import java.util.List;

/**
 * The MaskGIT-VQGAN convolutional encoder (SPEC §3.4): RGB in [0,1] → code-grid features, 2×2 average pooling
 * after every level but the last. It only produces proxy codes (training) and is not part of TiTok checkpoints.
 */
public final class PixelEncoder extends Module {

    private final Conv2d convIn;
    private final Level[] down;
    private final ResnetBlock.Stack mid;
    private final GroupNorm normOut;
    private final Conv2d convOut;

    public PixelEncoder(VqganConfig config) {
        List<Integer> mult = config.channelMult();
        int levels = mult.size();
        long hidden = config.hiddenChannels();
        this.convIn = child("conv_in", new Conv2d(config.numChannels(), hidden, 3, 1, Padding.TF_SAME, false));
        this.down = child("down", new ModuleList<>(levels, i -> new Level(hidden * (i == 0 ? 1 : mult.get(i - 1)),
                hidden * mult.get(i), config.numResBlocks(), i != levels - 1))).items().toArray(Level[]::new);
        long top = hidden * mult.get(levels - 1);
        this.mid = child("mid", new ResnetBlock.Stack(top, top, config.numResBlocks()));
        this.normOut = child("norm_out", new GroupNorm(32, top, 1e-6));
        this.convOut = child("conv_out", new Conv2d(top, config.zChannels(), 1, 1, Padding.TF_SAME, true));
    }

    /** (B, 3, H, W) → (B, z, H/2^(n-1), W/2^(n-1)). */
    public NDArray forward(NDArray pixels) {
        NDArray h = convIn.forward(pixels);
        for (Level level : down) {
            h = level.forward(h);
        }
        return normOut.siluConv(mid.forward(h), convOut);
    }

    /** One resolution level: residual blocks, then (except the last) 2×2 average pooling. */
    private static final class Level extends Module {
        private final ResnetBlock.Stack block;
        private final boolean downsample;

        Level(long in, long out, int blocks, boolean downsample) {
            this.block = child("block", new ResnetBlock.Stack(in, out, blocks));
            this.downsample = downsample;
        }

        NDArray forward(NDArray x) {
            NDArray h = block.forward(x);
            return downsample ? Ops.avgPool2x(h) : h;
        }
    }
}
