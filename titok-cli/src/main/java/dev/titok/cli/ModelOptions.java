package dev.titok.cli;

import dev.titok.config.TiTokConfig;
import dev.titok.tokenizer.TiTok;
import dev.titok.tokenizer.TiTokModels;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --model DIR|PRESET [--weights FILE]}, shared by the commands that load a tokenizer. */
final class ModelOptions {

    @Option(names = "--model", required = true, paramLabel = "DIR|PRESET",
            description = "Model folder (config.json + model.safetensors or a PyTorch .bin), a config.json file, "
                    + "or a preset: titok_l32, titok_b64, titok_s128, titok_bl64_vq8k, titok_bl128_vq8k, "
                    + "titok_sl256_vq8k, titok_ll32_vae_c16, titok_bl64_vae_c16, titok_bl128_vae_c16.")
    String model;

    @Option(names = "--weights", paramLabel = "FILE",
            description = "Weights file (safetensors or PyTorch .bin); needed with a preset or a config file.")
    Path weights;

    TiTokConfig config() {
        return TiTokModels.config(model);
    }

    TiTok open() {
        return TiTokModels.open(model, weights);
    }
}
