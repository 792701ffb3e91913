package dev.titok.cli;

import dev.titok.config.TiTokConfig;
import dev.titok.tokenizer.TiTok;
import dev.titok.tokenizer.TiTokModels;
import dev.titok.vqgan.VqganModels;
import java.nio.file.Path;
import picocli.CommandLine.Mixin;
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

    @Option(names = "--vqgan", paramLabel = "DIR|FILE",
            description = "MaskGIT-VQGAN (folder, or the official maskgit-vqgan-imagenet-f16-256.bin) that turns the "
                    + "proxy-code predictions of a stage-1 model into pixels.")
    String vqgan;

    @Mixin
    KernelsOption kernels = new KernelsOption();

    TiTokConfig config() {
        return TiTokModels.config(model);
    }

    TiTok open() {
        TiTok titok = TiTokModels.open(model, weights);
        if (vqgan != null) {
            try {
                titok.withProxyDecoder(VqganModels.open(vqgan, null));
            } catch (RuntimeException e) {
                titok.close();
                throw e;
            }
        }
        return kernels.apply(titok);
    }
}
