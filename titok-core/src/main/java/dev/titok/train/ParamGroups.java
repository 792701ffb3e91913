package dev.titok.train;

import ai.djl.ndarray.types.Shape;
import dev.titok.nn.Parameter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The official split of trainable parameters into a no-decay and a decay group (SPEC §5.1). */
public final class ParamGroups {

    /** Case-sensitive name fragments that exclude a tensor from weight decay, as in the official training utilities. */
    static final List<String> NO_DECAY_NAMES =
            List.of("ln", "bias", "latent_tokens", "mask_token", "embedding", "norm", "gamma", "embed");

    private ParamGroups() {}

    /**
     * Whether the official rule applies weight decay to a tensor: not when it has fewer than 2 dimensions or its
     * full name contains one of {@link #NO_DECAY_NAMES}. So {@code encoder.patch_embed.weight} (a conv kernel) and
     * {@code decoder.decoder_embed.weight} (a linear weight) get none because of "embed".
     */
    public static boolean decays(String name, Shape shape) {
        if (shape.dimension() < 2) {
            return false;
        }
        return NO_DECAY_NAMES.stream().noneMatch(name::contains);
    }

    /**
     * The groups {@code [no decay, decay with weightDecay]}, in that order, over {@code trainable} (typically the
     * result of {@link Trainable#prepare}); each keeps the state-dict order. Buffers are left out: they are never
     * optimized.
     */
    public static List<ParamGroup> official(Map<String, Parameter> trainable, double weightDecay) {
        Map<String, Parameter> noDecay = new LinkedHashMap<>();
        Map<String, Parameter> decay = new LinkedHashMap<>();
        trainable.forEach((name, p) -> {
            if (p.trainable()) {
                (decays(name, p.shape()) ? decay : noDecay).put(name, p);
            }
        });
        return List.of(new ParamGroup(noDecay, 0.0), new ParamGroup(decay, weightDecay));
    }
}
