package dev.titok.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Batch normalisation in inference mode, {@code torch.nn.BatchNorm2d} under {@code eval()}: every channel is normalised
 * with its stored running statistics, {@code (x − running_mean) / sqrt(running_var + eps) · weight + bias}. The
 * running statistics are buffers, so they are loaded and saved with the weights but never trained.
 */
public final class BatchNorm2d extends Module {

    private final Parameter weight;
    private final Parameter bias;
    private final Parameter runningMean;
    private final Parameter runningVar;
    private final double eps;

    public BatchNorm2d(long channels, double eps) {
        this.weight = parameter("weight", Init.ONES, channels);
        this.bias = parameter("bias", Init.ZEROS, channels);
        this.runningMean = buffer("running_mean", Init.ZEROS, channels);
        this.runningVar = buffer("running_var", Init.ONES, channels);
        this.eps = eps;
    }

    /** (B, C, H, W) → (B, C, H, W), in the parameters' precision. */
    public NDArray forward(NDArray x) {
        long c = weight.shape().get(0);
        Shape perChannel = new Shape(1, c, 1, 1);
        // The same operation order as PyTorch's CPU batch_norm inference kernel, which folds everything into one
        // scale and shift per channel: y = x·(w / sqrt(var + eps)) + (b − mean·w / sqrt(var + eps)).
        NDArray scale = weight.value().div(runningVar.value().add(eps).sqrt());
        NDArray shift = bias.value().sub(runningMean.value().mul(scale));
        return x.mul(scale.reshape(perChannel)).add(shift.reshape(perChannel));
    }
}
