package dev.titok.vqgan;

import ai.djl.ndarray.NDArray;
import dev.titok.nn.Conv2d.Padding;
import dev.titok.nn.Conv2d;
import dev.titok.nn.GroupNorm;
import dev.titok.nn.Module;
import dev.titok.tensor.Ops;

/**
 * MaskGIT-VQGAN residual block (SPEC §3.3). When the channel count changes, the official code (following the
 * original JAX MaskGIT) adds {@code nin_shortcut(h)} of the block's own output and drops the input: the released
 * weights depend on this quirk, so it is reproduced as is.
 */
final class ResnetBlock extends Module {

    private static final double EPS = 1e-6;

    private final GroupNorm norm1;
    private final Conv2d conv1;
    private final GroupNorm norm2;
    private final Conv2d conv2;
    private final Conv2d ninShortcut;

    ResnetBlock(long in, long out) {
        this.norm1 = child("norm1", new GroupNorm(32, in, EPS));
        this.conv1 = child("conv1", new Conv2d(in, out, 3, 1, Padding.TF_SAME, false));
        this.norm2 = child("norm2", new GroupNorm(32, out, EPS));
        this.conv2 = child("conv2", new Conv2d(out, out, 3, 1, Padding.TF_SAME, false));
        this.ninShortcut = in == out ? null : child("nin_shortcut", new Conv2d(out, out, 1, 1, Padding.TF_SAME, false));
    }

    /** (B, in, H, W) → (B, out, H, W). */
    NDArray forward(NDArray x) {
        return Ops.scoped(() -> {
            NDArray h = norm1.siluConv(x, conv1);
            h = norm2.siluConv(h, conv2);
            return ninShortcut == null ? h.add(x) : h.add(ninShortcut.forward(h));
        });
    }

    /** A list of blocks registered under "0", "1", ... like an {@code nn.ModuleList}. */
    static final class Stack extends Module {
        private final ResnetBlock[] blocks;

        Stack(long in, long out, int count) {
            blocks = new ResnetBlock[count];
            for (int j = 0; j < count; j++) {
                blocks[j] = child(Integer.toString(j), new ResnetBlock(j == 0 ? in : out, out));
            }
        }

        NDArray forward(NDArray x) {
            return Ops.scoped(() -> {
                NDArray h = x;
                for (ResnetBlock block : blocks) {
                    h = block.forward(h);
                }
                return h;
            });
        }
    }
}
