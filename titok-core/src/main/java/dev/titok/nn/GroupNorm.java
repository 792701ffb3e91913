package dev.titok.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * GroupNorm: statistics per sample and group over (C/G × H × W), biased variance, per-channel affine.
 * DJL binds no group_norm, so it is composed from mean/variance over the reshaped (B, G, -1) tensor.
 */
public final class GroupNorm extends Module {

    private final Parameter weight;
    private final Parameter bias;
    private final int groups;
    private final float eps;

    public GroupNorm(int groups, long channels, double eps) {
        if (channels % groups != 0) {
            throw new IllegalArgumentException(channels + " channels do not split into " + groups + " groups");
        }
        this.weight = parameter("weight", Init.ONES, channels);
        this.bias = parameter("bias", Init.ZEROS, channels);
        this.groups = groups;
        this.eps = (float) eps;
    }

    /** (B, C, H, W) → (B, C, H, W). */
    public NDArray forward(NDArray x) {
        Shape shape = x.getShape();
        long b = shape.get(0);
        long c = shape.get(1);
        NDArray grouped = x.reshape(b, groups, -1);                   // (B, G, C/G·H·W)
        NDArray mean = grouped.mean(new int[] {2}, true);
        NDArray centered = grouped.sub(mean);
        NDArray variance = centered.square().mean(new int[] {2}, true);
        NDArray normalized = centered.div(variance.add(eps).sqrt()).reshape(shape);
        NDArray gamma = weight.value().reshape(1, c, 1, 1);
        NDArray beta = bias.value().reshape(1, c, 1, 1);
        return normalized.mul(gamma).add(beta);
    }
}
