package dev.titok.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
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

    public Conv2d(long in, long out, int kernel, int stride, Padding padding, boolean bias) {
        this.weight = parameter("weight", Init.LINEAR, out, in, kernel, kernel);
        this.bias = bias ? parameter("bias", Init.ZEROS, out) : null;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
    }

    /** (B, in, H, W) → (B, out, H', W'). */
    public NDArray forward(NDArray x) {
        long pad = padding == Padding.SYMMETRIC ? (kernel - 1) / 2 : 0;
        NDArray input = Ops.contiguous(x);
        if (padding == Padding.TF_SAME) {
            input = padSame(input);
        }
        return Ops.conv2d(input, weight.value(), bias == null ? null : bias.value(), stride, (int) pad);
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
