package dev.titok.cli;

import dev.titok.TitokException;
import dev.titok.config.QuantizeMode;
import dev.titok.config.TiTokConfig;
import dev.titok.generator.GeneratorConfig;
import dev.titok.generator.GeneratorModel;
import dev.titok.generator.GeneratorModels;
import dev.titok.tokenizer.TiTok;
import dev.titok.tokenizer.TiTokModels;
import java.nio.file.Path;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code --tokenizer DIR|PRESET [--tokenizer-weights FILE] --generator DIR|PRESET [--generator-weights FILE]}: the
 * tokenizer and the generator that sample images together, shared by {@code generate}, {@code sample} and
 * {@code eval consistency}.
 */
final class GeneratorPairOptions {

    @Option(names = "--tokenizer", required = true, paramLabel = "DIR|PRESET", description = "TiTok tokenizer folder or preset.")
    String tokenizer;

    @Option(names = "--tokenizer-weights", paramLabel = "FILE", description = "Tokenizer weights (with a preset).")
    Path tokenizerWeights;

    @Option(names = "--generator", required = true, paramLabel = "DIR|PRESET",
            description = "Generator folder (config.json + weights) or preset: titok_l32, titok_b64, titok_s128.")
    String generator;

    @Option(names = "--generator-weights", paramLabel = "FILE", description = "Generator weights (with a preset).")
    Path generatorWeights;

    /** The generator's config, checked to model exactly the tokenizer's tokens (before any weights are read). */
    GeneratorConfig checkedGeneratorConfig() {
        GeneratorConfig gen = GeneratorModels.config(generator);
        checkFit(TiTokModels.config(tokenizer), gen);
        return gen;
    }

    /** The generator must model exactly the tokenizer's tokens. */
    static void checkFit(TiTokConfig tok, GeneratorConfig gen) {
        if (tok.quantizeMode() != QuantizeMode.VQ) {
            throw new TitokException(tok.name() + " is a continuous (vae) tokenizer: MaskGIT generators need token ids");
        }
        if (tok.codebookSize() != gen.codebookSize() || tok.numLatentTokens() != gen.imageSeqLen()) {
            throw new TitokException("tokenizer " + tok.name() + " (" + tok.numLatentTokens() + " tokens of a "
                    + tok.codebookSize() + "-code codebook) and generator " + gen.name() + " (" + gen.imageSeqLen()
                    + " tokens of " + gen.codebookSize() + ") do not fit together");
        }
    }

    @Mixin
    KernelsOption kernels = new KernelsOption();

    TiTok openTokenizer() {
        return kernels.apply(TiTokModels.open(tokenizer, tokenizerWeights));
    }

    GeneratorModel openGenerator() {
        return kernels.apply(GeneratorModels.open(generator, generatorWeights));
    }
}
