package dev.titok.train;

import dev.titok.nn.Parameter;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Parameters that share optimizer settings, like one entry of PyTorch's {@code param_groups}.
 *
 * @param params      the parameters by state-dict name, in order
 * @param weightDecay decoupled weight decay of this group (0 for none)
 */
public record ParamGroup(Map<String, Parameter> params, double weightDecay) {

    public ParamGroup {
        if (!(weightDecay >= 0)) {
            throw new IllegalArgumentException("weight decay must be >= 0, got " + weightDecay);
        }
        params = Collections.unmodifiableMap(new LinkedHashMap<>(params));
    }
}
