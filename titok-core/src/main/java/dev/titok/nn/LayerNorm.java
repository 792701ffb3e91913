package dev.titok.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/** LayerNorm over the last dimension with biased variance and an affine transform. */
public final class LayerNorm extends Module {

    private final Parameter weight;
    private final Parameter bias;
    private final float eps;
    private final Shape normalized;

    public LayerNorm(long dim, double eps) {
        this.weight = parameter("weight", Init.ONES, dim);
        this.bias = parameter("bias", Init.ZEROS, dim);
        this.eps = (float) eps;
        this.normalized = new Shape(dim);
    }

    public NDArray forward(NDArray x) {
        return ai.djl.nn.norm.LayerNorm.layerNorm(x, normalized, weight.value(), bias.value(), eps).singletonOrThrow();
    }
}
