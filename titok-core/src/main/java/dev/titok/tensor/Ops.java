package dev.titok.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.titok.TitokException;
import java.util.function.Supplier;

/** Tensor operations the reference code uses that DJL's NDArray API does not offer directly. */
public final class Ops {

    private Ops() {}

    /** {@code F.normalize(x, dim=axis)}: x / max(‖x‖₂, 1e-12). */
    public static NDArray l2Normalize(NDArray x, int axis) {
        return JniUtils.normalize((PtNDArray) x, 2, axis, 1e-12);
    }

    /**
     * A row-major copy of {@code x} (a view when it already is one). A transpose followed by a reshape can leave a
     * channels-last strided view, and libtorch 2.7.1's CPU convolution gives wrong values for the last 16 output channels
     * of a 1×1 convolution on such an input (seen on the TiTok decoder head; the reference's PyTorch does not), so
     * {@link dev.titok.nn.Conv2d} passes every input through this.
     */
    public static NDArray contiguous(NDArray x) {
        return x.flatten().reshape(x.getShape());
    }

    /**
     * {@code F.conv2d} without groups. Works around a libtorch 2.7.1 CPU bug: for a convolution with a kernel larger
     * than 1×1 whose output channels are not a multiple of 16 (the 3-channel RGB heads, the discriminator's 1-channel
     * logits), the gradient with respect to the input is wrong, with relative errors near 1 and sometimes NaN, while
     * the forward values and the weight gradient are right. While gradients are recorded, the weight (and bias) get
     * zero output channels up to a multiple of 16 and the result is sliced back, which gives the right gradient; the
     * extra channels cost little next to the layers before them. Inference takes the plain path.
     *
     * @param x       (B, in, H, W)
     * @param weight  (out, in, kH, kW)
     * @param bias    (out), or null
     * @param padding symmetric zero padding on both spatial axes
     * @return (B, out, H', W')
     */
    public static NDArray conv2d(NDArray x, NDArray weight, NDArray bias, int stride, int padding) {
        Shape w = weight.getShape();
        long out = w.get(0);
        long extra = (16 - out % 16) % 16;
        boolean affected = extra > 0 && (w.get(2) > 1 || w.get(3) > 1) && JniUtils.isGradMode();
        if (!affected) {
            return convolve(x, weight, bias, stride, padding);
        }
        NDArray paddedWeight = weight.concat(weight.getManager().zeros(new Shape(extra, w.get(1), w.get(2), w.get(3))), 0);
        NDArray paddedBias = bias == null ? null : bias.concat(bias.getManager().zeros(new Shape(extra)), 0);
        return convolve(x, paddedWeight, paddedBias, stride, padding).get(":, 0:" + out);
    }

    private static NDArray convolve(NDArray x, NDArray weight, NDArray bias, int stride, int padding) {
        return ai.djl.nn.convolutional.Conv2d.conv2d(x, weight, bias, new Shape(stride, stride),
                new Shape(padding, padding), new Shape(1, 1), 1).singletonOrThrow();
    }

    /**
     * Runs {@code body} in its own {@link NDScope}, so its temporaries are freed as soon as it returns instead of at the
     * end of the whole forward pass; only the result survives, handed to the enclosing scope. This bounds the peak
     * memory of deep networks (a batch of 8 through the 256-pixel VQGAN decoder makes 268 MB per activation).
     * Autograd keeps its own references, so this is safe during training too.
     */
    public static NDArray scoped(Supplier<NDArray> body) {
        NDArray result;
        try (NDScope scope = new NDScope()) {
            result = body.get();
            NDScope.unregister(result);
        }
        NDScope.register(result);
        return result;
    }

    /**
     * Checks that {@code ids} are integers in [0, size): a wrong id would otherwise index out of a table inside
     * libtorch, which fails with an unhelpful native error.
     *
     * @param what names the ids in the message ("token id", "class id")
     */
    public static void requireIds(NDArray ids, long size, String what) {
        if (!ids.getDataType().isInteger()) {
            throw new TitokException(what + "s of type " + ids.getDataType() + ": expected integers");
        }
        if (ids.isEmpty()) {
            return;
        }
        long min = ids.min().toType(DataType.INT64, false).getLong();
        long max = ids.max().toType(DataType.INT64, false).getLong();
        if (min < 0 || max >= size) {
            throw new TitokException(what + " " + (min < 0 ? min : max) + " is out of range: expected 0.." + (size - 1));
        }
    }

    /**
     * {@code x · v} with the scalar held in libtorch-owned memory. DJL's {@code mul(Number)} wraps the scalar around
     * a Java buffer and frees it right after the call, but autograd keeps that scalar to compute the gradient of x:
     * the backward pass would then read freed memory. Every differentiable scaling goes through here.
     */
    public static NDArray mul(NDArray x, float v) {
        try (NDArray scalar = scalar(x, v)) {
            return x.mul(scalar);
        }
    }

    /** {@code x / v}, safe under autograd like {@link #mul}. */
    public static NDArray div(NDArray x, float v) {
        try (NDArray scalar = scalar(x, v)) {
            return x.div(scalar);
        }
    }

    /** {@code max(x, v)} element-wise, safe under autograd like {@link #mul} (its gradient needs v). */
    public static NDArray maximum(NDArray x, float v) {
        try (NDArray scalar = scalar(x, v)) {
            return x.maximum(scalar);
        }
    }

    private static NDArray scalar(NDArray like, float v) {
        return Tensors.of(like.getManager(), new float[] {v}, new Shape());
    }

    /** SiLU(x) = x·sigmoid(x). */
    public static NDArray silu(NDArray x) {
        return x.mul(Activation.sigmoid(x));
    }

    /** Nearest-neighbour ×2 upsampling of (B, C, H, W): each pixel becomes a 2×2 block. */
    public static NDArray upsampleNearest2x(NDArray x) {
        return x.repeat(2, 2).repeat(3, 2);
    }

    /** Non-overlapping 2×2 average pooling of (B, C, H, W). */
    public static NDArray avgPool2x(NDArray x) {
        return ai.djl.nn.pooling.Pool.avgPool2d(x, new ai.djl.ndarray.types.Shape(2, 2),
                new ai.djl.ndarray.types.Shape(2, 2), new ai.djl.ndarray.types.Shape(0, 0), false, true);
    }
}
