package dev.titok.generator;

import dev.titok.TitokException;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * How the classifier-free guidance scale changes over the sampling steps (SPEC §4.7), named as in the official
 * {@code generate(guidance_decay=...)} argument and the inference configs.
 */
public enum GuidanceDecay {

    /** The full scale at every step, combined as {@code c + (c − u)·cfg}. */
    CONSTANT("constant"),
    /** Step s uses {@code gs·s/steps} (step 0 is unguided), combined as {@code c + (c − u)·cfg}. */
    LINEAR("linear"),
    /** The MDT schedule ramping from 1 to about gs, combined as the usual {@code u + (c − u)·cfg}. */
    POWER_COSINE("power-cosine");

    private final String officialName;

    GuidanceDecay(String officialName) {
        this.officialName = officialName;
    }

    /** The name the official code and configs use: "constant", "linear" or "power-cosine". */
    public String officialName() {
        return officialName;
    }

    /**
     * The decay with this official name.
     *
     * @throws TitokException for any other string, listing the accepted ones
     */
    public static GuidanceDecay parse(String name) {
        for (GuidanceDecay decay : values()) {
            if (decay.officialName.equals(name)) {
                return decay;
            }
        }
        throw new TitokException("unknown guidance decay '" + name + "': expected one of "
                + Arrays.stream(values()).map(GuidanceDecay::officialName).collect(Collectors.joining(", ")));
    }

    @Override
    public String toString() {
        return officialName;
    }
}
