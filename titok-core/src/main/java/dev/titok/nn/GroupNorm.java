package dev.titok.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.titok.kernels.ConvWeights;
import dev.titok.kernels.FusedKernels;
import dev.titok.tensor.Ops;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * GroupNorm: statistics per sample and group over (C/G × H × W), biased variance, per-channel affine.
 * DJL binds no group_norm, so the normalisation is libtorch's fused layer_norm over the (B, G, C/G·H·W) view (same
 * statistics, same epsilon placement), followed by the per-channel affine.
 */
public final class GroupNorm extends Module {

    private final Parameter weight;
    private final Parameter bias;
    private final int groups;
    private final double eps;
    /** Unit gamma / zero beta for layer_norm, per normalised size; they live with the parameters. */
    private final Map<Long, NDArray[]> identityAffine = new ConcurrentHashMap<>();
    private FusedKernels kernels;

    public GroupNorm(int groups, long channels, double eps) {
        if (channels % groups != 0) {
            throw new IllegalArgumentException(channels + " channels do not split into " + groups + " groups");
        }
        this.weight = parameter("weight", Init.ONES, channels);
        this.bias = parameter("bias", Init.ZEROS, channels);
        this.groups = groups;
        this.eps = eps;
    }

    /** (B, C, H, W) → (B, C, H, W). */
    public NDArray forward(NDArray x) {
        return Ops.scoped(() -> {
            Shape shape = x.getShape();
            long b = shape.get(0);
            long c = shape.get(1);
            long perGroup = shape.size() / (b * groups);
            NDArray[] unit = identityAffine.computeIfAbsent(perGroup, this::unitAffine);
            NDArray normalized = ai.djl.nn.norm.LayerNorm.layerNorm(x.reshape(b, groups, perGroup), new Shape(perGroup),
                    unit[0], unit[1], (float) eps).singletonOrThrow().reshape(shape);
            return normalized.mul(weight.value().reshape(1, c, 1, 1)).add(bias.value().reshape(1, c, 1, 1));
        });
    }

    @Override
    protected void onKernels(FusedKernels kernels) {
        this.kernels = kernels;
    }

    /**
     * {@code conv(silu(norm(x)))}, the pre-activation step of a ResNet block: with fused kernels one call (libtorch's
     * native group_norm, SiLU, and the convolution in the kernels' type), else the composed operations.
     */
    public NDArray siluConv(NDArray x, Conv2d conv) {
        if (kernels == null) {
            return conv.forward(Ops.silu(forward(x)));
        }
        ConvWeights fused = conv.fusedWeights();
        if (fused == null) {
            return conv.forward(kernels.groupNormSilu(x, weight.value(), bias.value(), groups, eps));
        }
        return kernels.groupNormSiluConv(x, weight.value(), bias.value(), groups, eps, fused);
    }

    private NDArray[] unitAffine(long size) {
        NDManager owner = weight.value().getManager();
        NDArray ones = owner.ones(new Shape(size));
        NDArray zeros = owner.zeros(new Shape(size));
        NDScope.unregister(ones, zeros); // cached beyond the current forward pass
        return new NDArray[] {ones, zeros};
    }
}
