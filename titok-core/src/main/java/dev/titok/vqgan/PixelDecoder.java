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
 * The MaskGIT-VQGAN convolutional decoder (SPEC §3.5): code-grid features → RGB, upsampling ×2 per level.
 * Levels are stored as {@code up.0 … up.{n-1}} but run from the coarsest ({@code up.{n-1}}) to {@code up.0}.
 * The output is not clamped.
 */
public final class PixelDecoder extends Module {

    private final Conv2d convIn;
    private final ResnetBlock.Stack mid;
    private final Level[] up;
    private final GroupNorm normOut;
    private final Conv2d convOut;

    public PixelDecoder(VqganConfig config) {
        List<Integer> mult = config.channelMult();
        int levels = mult.size();
        long hidden = config.hiddenChannels();
        long top = hidden * mult.get(levels - 1);
        this.convIn = child("conv_in", new Conv2d(config.zChannels(), top, 3, 1, Padding.TF_SAME, true));
        this.mid = child("mid", new ResnetBlock.Stack(top, top, config.numResBlocks()));
        this.up = child("up", new ModuleList<>(levels, i -> new Level(hidden * mult.get(i == levels - 1 ? i : i + 1),
                hidden * mult.get(i), config.numResBlocks(), i != 0))).items().toArray(Level[]::new);
        long out = hidden * mult.get(0);
        this.normOut = child("norm_out", new GroupNorm(32, out, 1e-6));
        this.convOut = child("conv_out", new Conv2d(out, config.numChannels(), 3, 1, Padding.TF_SAME, true));
    }

    /** (B, z, g, g) → (B, 3, g·2^(n-1), g·2^(n-1)). */
    public NDArray forward(NDArray z) {
        NDArray h = mid.forward(convIn.forward(z));
        for (int i = up.length - 1; i >= 0; i--) {
            h = up[i].forward(h);
        }
        return head(h);
    }

    private NDArray head(NDArray h) {
        return Ops.scoped(() -> normOut.siluConv(h, convOut));
    }

    /** One resolution level: residual blocks, then (except level 0) nearest ×2 and a 3×3 conv. */
    private static final class Level extends Module {
        private final ResnetBlock.Stack block;
        private final Conv2d upsampleConv;

        Level(long in, long out, int blocks, boolean upsample) {
            this.block = child("block", new ResnetBlock.Stack(in, out, blocks));
            this.upsampleConv = upsample ? child("upsample_conv", new Conv2d(out, out, 3, 1, Padding.TF_SAME, true)) : null;
        }

        NDArray forward(NDArray x) {
            return Ops.scoped(() -> {
                NDArray h = block.forward(x);
                return upsampleConv == null ? h : upsampleConv.forward(Ops.upsampleNearest2x(h));
            });
        }
    }
}
