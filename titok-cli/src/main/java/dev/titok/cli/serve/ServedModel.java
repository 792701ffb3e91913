package dev.titok.cli.serve;

import dev.titok.generator.GeneratorModel;
import dev.titok.generator.SamplingConfig;
import dev.titok.tokenizer.TiTok;
import java.util.Objects;

/**
 * A tokenizer the server offers under a name, with the class-conditional generator paired with it, if any.
 *
 * @param name      how the API and the page call the model (unique among the served ones)
 * @param tokenizer a tokenizer whose array-level calls give pixels
 * @param generator a generator of exactly the tokenizer's tokens, or null
 * @param sampling  the generator's sampling settings (null without a generator)
 */
public record ServedModel(String name, TiTok tokenizer, GeneratorModel generator, SamplingConfig sampling)
        implements AutoCloseable {

    public ServedModel {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(tokenizer, "tokenizer");
        if ((generator == null) != (sampling == null)) {
            throw new IllegalArgumentException("a generator needs its sampling settings, and only a generator does");
        }
    }

    /** Closes the tokenizer and the generator. */
    @Override
    public void close() {
        try {
            tokenizer.close();
        } finally {
            if (generator != null) {
                generator.close();
            }
        }
    }
}
