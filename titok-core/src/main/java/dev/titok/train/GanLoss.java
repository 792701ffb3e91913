package dev.titok.train;

import ai.djl.ndarray.NDArray;
import dev.titok.TitokException;
import dev.titok.io.HostTensor;
import dev.titok.tensor.Ops;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The hinge GAN objective with LeCam regularisation of the official {@code ReconstructionLoss_Stage2} (SPEC §5.3).
 *
 * <pre>
 *   generator:      −mean(D(x̂))
 *   discriminator:  ½·(mean(relu(1 − D(x))) + mean(relu(1 + D(x̂)))) + w·LeCam
 *   LeCam:          relu(mean D(x) − ema_fake)² + relu(ema_real − mean D(x̂))²
 * </pre>
 * The two scalar EMAs of the mean logits (buffers of the official loss module, initially 0, decay
 * {@value #LECAM_DECAY}) are updated after the loss is computed, so each step's regulariser uses the previous
 * values. They are float32, as there, and saved under the official buffer names.
 */
public final class GanLoss implements Checkpointable {

    /** The official {@code lecam_regularization_weight}. */
    public static final double OFFICIAL_LECAM_WEIGHT = 0.001;
    /** The official {@code lecam_ema_decay}. */
    public static final double LECAM_DECAY = 0.999;

    static final String EMA_REAL = "ema_real_logits_mean";
    static final String EMA_FAKE = "ema_fake_logits_mean";

    private final double lecamWeight;
    private float emaReal;
    private float emaFake;

    /** @param lecamWeight w, the LeCam weight (0 turns the regulariser and its EMAs off) */
    public GanLoss(double lecamWeight) {
        if (!(lecamWeight >= 0)) {
            throw new IllegalArgumentException("LeCam weight must be >= 0, got " + lecamWeight);
        }
        this.lecamWeight = lecamWeight;
    }

    /** The discriminator loss and its parts (scalars); only {@code total} carries gradients that matter. */
    public record DiscriminatorLoss(NDArray total, NDArray hinge, NDArray lecam) {}

    /** The generator's hinge loss {@code −mean(D(x̂))} from the logits of its fakes. */
    public static NDArray generator(NDArray fakeLogits) {
        return fakeLogits.mean().neg();
    }

    /** {@code ½·(mean(relu(1 − D(x))) + mean(relu(1 + D(x̂))))}. */
    public static NDArray hinge(NDArray realLogits, NDArray fakeLogits) {
        NDArray real = Ops.maximum(realLogits.neg().add(1), 0).mean();
        NDArray fake = Ops.maximum(fakeLogits.add(1), 0).mean();
        return Ops.mul(real.add(fake), 0.5f);
    }

    /**
     * The discriminator's loss on logits of real images and of detached fakes, then the LeCam EMA update with the
     * (detached) means of this batch.
     */
    public DiscriminatorLoss discriminator(NDArray realLogits, NDArray fakeLogits) {
        NDArray hinge = hinge(realLogits, fakeLogits);
        NDArray realMean = realLogits.mean();
        NDArray fakeMean = fakeLogits.mean();
        NDArray lecam;
        if (lecamWeight > 0) {
            lecam = Ops.mul(Ops.maximum(realMean.sub(emaFake), 0).square()
                    .add(Ops.maximum(fakeMean.neg().add(emaReal), 0).square()), (float) lecamWeight);
            // torch: ema * decay + mean.detach() * (1 − decay), in float32
            emaReal = emaReal * (float) LECAM_DECAY + realMean.getFloat() * (float) (1 - LECAM_DECAY);
            emaFake = emaFake * (float) LECAM_DECAY + fakeMean.getFloat() * (float) (1 - LECAM_DECAY);
        } else {
            lecam = hinge.zerosLike();
        }
        return new DiscriminatorLoss(hinge.add(lecam), hinge, lecam);
    }

    /** The EMA of the mean real logit. */
    public float emaReal() {
        return emaReal;
    }

    /** The EMA of the mean fake logit. */
    public float emaFake() {
        return emaFake;
    }

    /** The two EMAs as (1)-shaped F32 tensors under the official buffer names. */
    @Override
    public State saveState() {
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        tensors.put(EMA_REAL, HostTensor.ofFloats(new long[] {1}, new float[] {emaReal}));
        tensors.put(EMA_FAKE, HostTensor.ofFloats(new long[] {1}, new float[] {emaFake}));
        return new State(tensors, Map.of());
    }

    @Override
    public void loadState(State saved, String source) {
        Map<String, HostTensor> tensors = saved.tensors();
        if (tensors.size() != 2 || !tensors.containsKey(EMA_REAL) || !tensors.containsKey(EMA_FAKE)) {
            throw new TitokException(source + ": expected exactly the LeCam EMAs " + EMA_REAL + " and " + EMA_FAKE
                    + ", found " + tensors.keySet());
        }
        float[] real = tensors.get(EMA_REAL).toFloats();
        float[] fake = tensors.get(EMA_FAKE).toFloats();
        if (real.length != 1 || fake.length != 1) {
            throw new TitokException(source + ": the LeCam EMAs must hold one value each");
        }
        emaReal = real[0];
        emaFake = fake[0];
    }
}
