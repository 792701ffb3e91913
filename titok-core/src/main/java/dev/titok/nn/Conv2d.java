package dev.titok.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.titok.kernels.ConvWeights;
import dev.titok.kernels.FusedKernels;
import dev.titok.kernels.LazyWeights;
import dev.titok.tensor.Ops;

/**
 * 2-D convolution, weight {@code (out, in, k, k)}. Padding is either symmetric zero padding or TensorFlow
 * "SAME" padding (SPEC §3.2: the extra pixel of an odd total goes after), which MaskGIT-VQGAN uses.
 */
public final class Conv2d extends Module {

    /** How the input is padded before the convolution. */
    public enum Padding { NONE, SYMMETRIC, TF_SAME }

    private final Parameter weight;
    private final Parameter bias;
    private final int kernel;
    private final int stride;
    private final Padding padding;
    private FusedKernels kernels;
    private LazyWeights<ConvWeights> fusedWeights;

    public Conv2d(long in, long out, int kernel, int stride, Padding padding, boolean bias) {
        this.weight = parameter("weight", Init.LINEAR, out, in, kernel, kernel);
        this.bias = bias ? parameter("bias", Init.ZEROS, out) : null;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
    }

    @Override
    protected void onKernels(FusedKernels kernels) {
        this.kernels = kernels;
        // bf16 convolutions are wrong for some channel counts in libtorch 2.7.1: those layers stay on the reference
        boolean fused = kernels != null && kernels.convSupported(weight.value());
        this.fusedWeights = !fused ? null : kernels.lazily(
                () -> kernels.convWeights(weight.value(), bias == null ? null : bias.value(), stride, symmetricPad()));
    }

    /**
     * The zero padding on each side that the convolution itself can apply: the symmetric one, and TensorFlow "SAME"
     * at stride 1 with an odd kernel, which is symmetric too. Other "SAME" cases are padded before the call.
     */
    private int symmetricPad() {
        boolean symmetricSame = padding == Padding.TF_SAME && stride == 1 && kernel % 2 == 1;
        return padding == Padding.SYMMETRIC || symmetricSame ? (kernel - 1) / 2 : 0;
    }

    private boolean padsBeforeCall() {
        return padding == Padding.TF_SAME && !(stride == 1 && kernel % 2 == 1);
    }

    /**
     * The weights converted for the fused kernels when they run this layer and it needs no padding before the call
     * (so that a norm and activation can be fused in front of it); null otherwise.
     */
    public ConvWeights fusedWeights() {
        return padsBeforeCall() || fusedWeights == null ? null : fusedWeights.get();
    }

    /** (B, in, H, W) → (B, out, H', W'). */
    public NDArray forward(NDArray x) {
        NDArray input = Ops.contiguous(x);
        if (padsBeforeCall()) {
            input = padSame(input);
        }
        if (fusedWeights != null) {
            return kernels.conv2d(input, fusedWeights.get());
        }
        return Ops.conv2d(input, weight.value(), bias == null ? null : bias.value(), stride, symmetricPad());
    }

    private NDArray padSame(NDArray x) {
        long h = x.getShape().get(2);
        long w = x.getShape().get(3);
        long padH = samePad(h);
        long padW = samePad(w);
        if (padH == 0 && padW == 0) {
            return x;
        }
        // torch.nn.functional.pad order: (left, right, top, bottom) for the last two axes.
        return x.pad(new Shape(padW / 2, padW - padW / 2, padH / 2, padH - padH / 2), 0);
    }

    private long samePad(long extent) {
        long outExtent = (extent + stride - 1) / stride;
        return Math.max((outExtent - 1) * stride + kernel - extent, 0);
    }
}
