package dev.titok.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import dev.titok.nn.Parameter;
import java.util.Collection;

/** Global L2-norm gradient clipping, {@code torch.nn.utils.clip_grad_norm_} (DJL's {@code optClipGrad} only clamps). */
public final class GradClip {

    private GradClip() {}

    /**
     * Scales all gradients together so that their global L2 norm is at most {@code maxNorm}: the norm of the vector
     * of per-tensor norms (float32, as libtorch computes it), {@code coef = maxNorm / (norm + 1e-6)} clamped to 1, and
     * every gradient multiplied by it in place. Parameters without a gradient are ignored.
     *
     * @param params   typically {@link AdamW#parameters()}{@code .values()}
     * @param maxNorm  1.0 in every official config
     * @return the global norm before clipping (0 when there are no gradients)
     */
    public static double clip(Collection<Parameter> params, double maxNorm) {
        try (NDScope scope = new NDScope()) {
            NDList grads = new NDList();
            for (Parameter p : params) {
                NDArray grad = Gradients.of(p.value());
                if (grad != null) {
                    grads.add(grad);
                }
            }
            if (grads.isEmpty()) {
                return 0.0;
            }
            NDList norms = new NDList();
            grads.forEach(g -> norms.add(g.norm()));
            float total = NDArrays.stack(norms).norm().getFloat();
            // torch: max_norm / (total + 1e-6), a Python float over a float32 tensor, is reciprocal() * max_norm
            float coef = Math.min((1f / (total + 1e-6f)) * (float) maxNorm, 1f);
            grads.forEach(g -> g.muli(coef));
            return total;
        }
    }
}
