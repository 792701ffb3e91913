package dev.titok.cli;

import dev.titok.config.QuantizeMode;
import dev.titok.config.TiTokConfig;
import dev.titok.config.TransformerSize;
import dev.titok.io.HostTensor;
import dev.titok.io.WeightsFile;
import dev.titok.tokenizer.TiTok;
import dev.titok.tokenizer.TiTokModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code titok inspect}: what a model is, how big each part is, and whether a checkpoint fits it. */
@Command(name = "inspect", description = "Print a model's config, parameter counts per part and the checkpoint check.")
final class InspectCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model;

    @Override
    public Integer call() throws IOException {
        TiTokConfig c = model.config();
        row("model", c.name());
        row("image", c.imageSize() + "x" + c.imageSize() + ", encoder patch " + c.encoderPatchSize() + " (grid "
                + c.encoderGrid() + "), decoder patch " + c.decoderPatchSize());
        row("tokens", c.numLatentTokens() + " tokens of " + c.tokenSize() + " dims, " + quantizer(c));
        row("encoder", vit(c.encoder()) + (c.legacy() ? ", legacy token reshape" : ""));
        row("decoder", vit(c.decoder()) + ", head: " + head(c));
        printCounts(new TiTok(c));
        printWeights();
        return 0;
    }

    private void printCounts(TiTok tree) {
        Map<String, Long> parts = new LinkedHashMap<>();
        tree.namedParameters().forEach((name, p) -> {
            String part = name.equals("latent_tokens") ? "encoder" : name.substring(0, name.indexOf('.'));
            parts.merge(part, p.shape().size(), Long::sum);
        });
        System.out.println("parameters");
        parts.forEach((part, count) -> System.out.printf("  %-16s %,15d%n", part, count));
        System.out.printf("  %-16s %,15d (%d tensors)%n", "total", tree.parameterCount(), tree.namedParameters().size());
    }

    private void printWeights() throws IOException {
        if (model.weights == null && !Files.isDirectory(Path.of(model.model))) {
            row("weights", "not given (add --weights FILE to check a checkpoint against this config)");
            return;
        }
        Path file = TiTokModels.weights(model.model, model.weights);
        Map<String, HostTensor> tensors = WeightsFile.load(file);
        Map<String, Integer> dtypes = new TreeMap<>();
        tensors.values().forEach(t -> dtypes.merge(t.dtype().name(), 1, Integer::sum));
        try (TiTok loaded = TiTok.load(model.config(), tensors, file.toString())) {
            row("weights", String.format("%s: %,d bytes, %d tensors %s; every key and shape matches the config",
                    file, Files.size(file), tensors.size(), dtypes));
        }
    }

    private static String quantizer(TiTokConfig c) {
        if (c.quantizeMode() == QuantizeMode.VAE) {
            return "continuous (vae: diagonal Gaussian posterior)";
        }
        return "vq codebook " + c.codebookSize() + (c.useL2Norm() ? " (cosine, l2-normalised)" : " (euclidean)")
                + ", commitment " + c.commitmentCost();
    }

    private static String head(TiTokConfig c) {
        if (c.finetuneDecoder()) {
            return "1024 proxy-code logits -> soft MaskGIT-VQGAN codebook -> pixel decoder (channels "
                    + c.pixel().hiddenChannels() + " x " + c.pixel().channelMult() + ", z " + c.pixel().zChannels() + ")";
        }
        return c.legacy() ? "1024 proxy-code logits (stage 1)" : "RGB patches + 3x3 conv";
    }

    private static String vit(TransformerSize s) {
        return s.name() + ": width " + s.width() + ", " + s.layers() + " layers, " + s.heads() + " heads, mlp x" + s.mlpRatio();
    }

    private static void row(String key, String value) {
        System.out.printf("%-10s %s%n", key, value);
    }
}
