package dev.titok.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.titok.TitokException;
import dev.titok.io.HostTensor;
import dev.titok.nn.GroupNorm;
import dev.titok.nn.Init;
import dev.titok.nn.Model;
import dev.titok.nn.Module;
import dev.titok.nn.ModuleList;
import dev.titok.nn.Parameter;
import dev.titok.tensor.Ops;
import java.util.Map;
import java.util.Set;

/**
 * The official patch discriminator of stage-2 and single-stage training ({@code NLayerDiscriminator}, SPEC §5.3):
 * images in [0, 1] → (B, 1, 16, 16) real/fake logits.
 *
 * <pre>
 *   block_in   Conv2dSame 3→h 5×5, LeakyReLU(0.1)
 *   blocks.i   Conv2dSame 3×3 (h→h, h→2h, 2h→4h) → BlurPool (stride 2) → GroupNorm(32, eps 1e-5) → LeakyReLU(0.1)
 *   pool       adaptive max pool to 16×16
 *   to_logits  Conv2dSame 4h→4h 1×1, LeakyReLU(0.1), Conv2dSame 4h→1 5×5
 * </pre>
 * With h = 128 (official) it has 1,909,889 parameters plus three 16-value blur kernels (buffers). Every weight and
 * bias starts from PyTorch's default initialisation, U(±1/√fan_in); GroupNorm from ones and zeros.
 */
public final class Discriminator extends Model {

    /** The official hidden width h. */
    public static final int OFFICIAL_HIDDEN = 128;
    /** Side of the logit map, fixed by the adaptive pooling. */
    public static final int LOGIT_GRID = 16;

    private static final float SLOPE = 0.1f;
    private static final int STAGES = 3;

    private final SameConv blockIn;
    private final Block[] blocks;
    private final SameConv toLogitsHidden;
    private final SameConv toLogitsOut;

    /** @param hidden h, a multiple of 32 (GroupNorm has 32 groups) */
    public Discriminator(int hidden) {
        if (hidden <= 0 || hidden % 32 != 0) {
            throw new IllegalArgumentException("discriminator hidden channels must be a positive multiple of 32, got " + hidden);
        }
        this.blockIn = child("block_in", new Wrapped(new SameConv(3, hidden, 5))).conv;
        this.blocks = child("blocks", new ModuleList<>(STAGES, i -> new Block(
                (long) hidden * (i == 0 ? 1 : 1L << (i - 1)), (long) hidden << i))).items().toArray(Block[]::new);
        long top = (long) hidden << (STAGES - 1);
        ToLogits toLogits = child("to_logits", new ToLogits(top));
        this.toLogitsHidden = toLogits.hiddenConv;
        this.toLogitsOut = toLogits.outConv;
    }

    /** Fresh weights with PyTorch's default initialisation, drawn from libtorch's generator seeded with {@code seed}. */
    public static Discriminator random(int hidden, long seed) {
        Discriminator d = new Discriminator(hidden);
        d.initializeRandomly(seed);
        return d;
    }

    /** Strictly loads weights under the official names without the {@code discriminator.} prefix. */
    public static Discriminator load(int hidden, Map<String, HostTensor> weights, String source) {
        Discriminator d = new Discriminator(hidden);
        d.loadWeights(weights, source, Set.of());
        return d;
    }

    /** Images (B, 3, H, W) in [0, 1] → logits (B, 1, 16, 16). H and W must be at least 8 (three stride-2 stages). */
    public NDArray forward(NDArray images) {
        Shape shape = images.getShape();
        if (shape.dimension() != 4 || shape.get(1) != 3 || shape.get(2) < 8 || shape.get(3) < 8) {
            throw new TitokException("discriminator input of shape " + shape + ": expected (B, 3, H, W) with H, W >= 8");
        }
        NDArray h = leaky(blockIn.forward(images));
        for (Block block : blocks) {
            h = block.forward(h);
        }
        // torch AdaptiveMaxPool2d: window i spans [floor(i·n/16), ceil((i+1)·n/16)), so it also upsamples small maps
        h = JniUtils.adaptiveMaxPool((PtNDArray) h, new Shape(LOGIT_GRID, LOGIT_GRID));
        return toLogitsOut.forward(leaky(toLogitsHidden.forward(h)));
    }

    private static NDArray leaky(NDArray x) {
        return Activation.leakyRelu(x, SLOPE);
    }

    /**
     * TensorFlow "SAME" zero padding of the last two axes for kernel k and stride s (SPEC §3.2): the total
     * {@code max((ceil(i/s) − 1)·s + k − i, 0)}, half before, the odd pixel after.
     */
    static NDArray padSame(NDArray x, int kernel, int stride) {
        long padH = samePad(x.getShape().get(2), kernel, stride);
        long padW = samePad(x.getShape().get(3), kernel, stride);
        if (padH == 0 && padW == 0) {
            return x;
        }
        return x.pad(new Shape(padW / 2, padW - padW / 2, padH / 2, padH - padH / 2), 0);
    }

    private static long samePad(long extent, int kernel, int stride) {
        long out = (extent + stride - 1) / stride;
        return Math.max((out - 1) * stride + kernel - extent, 0);
    }

    /** Conv2dSame, stride 1, with bias and PyTorch's default initialisation (unlike the LINEAR rule of TiTok's convs). */
    static final class SameConv extends Module {
        private final Parameter weight;
        private final Parameter bias;
        private final int kernel;

        SameConv(long in, long out, int kernel) {
            Init init = Init.Uniform.torchDefault(in * kernel * kernel);
            this.weight = parameter("weight", init, out, in, kernel, kernel);
            this.bias = parameter("bias", init, out);
            this.kernel = kernel;
        }

        /** (B, in, H, W) → (B, out, H, W). */
        NDArray forward(NDArray x) {
            NDArray padded = padSame(Ops.contiguous(x), kernel, 1);
            return Ops.conv2d(padded, weight.value(), bias.value(), 1, 0);
        }
    }

    /**
     * The official {@code BlurBlock}: a fixed depthwise 4×4 binomial filter outer([1,3,3,1], [1,3,3,1]) / 64
     * (buffer {@code kernel}, (1, 1, 4, 4)) applied with stride 2 after TF-SAME padding for k = 4, s = 2, which is one
     * pixel on each side for even sizes: an anti-aliased 2× downsampling.
     */
    static final class BlurPool extends Module {
        static final float[] KERNEL = blurKernel();

        private final Parameter kernel;

        BlurPool() {
            this.kernel = buffer("kernel", new Init.Constant(KERNEL), 1, 1, 4, 4);
        }

        /** (B, C, H, W) → (B, C, ceil(H/2), ceil(W/2)). */
        NDArray forward(NDArray x) {
            long channels = x.getShape().get(1);
            NDArray weight = kernel.value().broadcast(new Shape(channels, 1, 4, 4));
            NDArray padded = padSame(Ops.contiguous(x), 4, 2);
            return ai.djl.nn.convolutional.Conv2d.conv2d(padded, weight, null, new Shape(2, 2), new Shape(0, 0),
                    new Shape(1, 1), (int) channels).singletonOrThrow();
        }

        private static float[] blurKernel() {
            float[] taps = {1, 3, 3, 1};
            float[] out = new float[16];
            for (int r = 0; r < 4; r++) {
                for (int c = 0; c < 4; c++) {
                    out[r * 4 + c] = taps[r] * taps[c] / 64f; // exact in float32: the official kernel / kernel.sum()
                }
            }
            return out;
        }
    }

    /** {@code blocks.i}: 0 conv, 1 blur, 2 GroupNorm (3 is the parameter-free LeakyReLU). */
    private static final class Block extends Module {
        private final SameConv conv;
        private final BlurPool blur;
        private final GroupNorm norm;

        Block(long in, long out) {
            this.conv = child("0", new SameConv(in, out, 3));
            this.blur = child("1", new BlurPool());
            this.norm = child("2", new GroupNorm(32, out, 1e-5));
        }

        NDArray forward(NDArray x) {
            return leaky(norm.forward(blur.forward(conv.forward(x))));
        }
    }

    /** {@code block_in}: the conv at index 0 of the official Sequential (1 is the LeakyReLU). */
    private static final class Wrapped extends Module {
        private final SameConv conv;

        Wrapped(SameConv conv) {
            this.conv = child("0", conv);
        }
    }

    /** {@code to_logits}: 0 the 1×1 conv, 2 the 5×5 conv to one channel (1 is the LeakyReLU). */
    private static final class ToLogits extends Module {
        private final SameConv hiddenConv;
        private final SameConv outConv;

        ToLogits(long channels) {
            this.hiddenConv = child("0", new SameConv(channels, channels, 1));
            this.outConv = child("2", new SameConv(channels, 1, 5));
        }
    }
}
