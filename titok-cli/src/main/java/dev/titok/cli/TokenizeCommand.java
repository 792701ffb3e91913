package dev.titok.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.titok.config.QuantizeMode;
import dev.titok.image.ImageCodec;
import dev.titok.image.Preprocess;
import dev.titok.tokenizer.TiTok;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code titok tokenize}: images to token ids (JSON lines), or a tensor file to a tensor file. */
@Command(name = "tokenize", description = {
        "Turn images into token ids, one JSON line per image.",
        "%nEach line is {\"file\": ..., \"tokens\": [...]}; continuous (vae) models write the posterior means instead: "
                + "{\"file\": ..., \"latents\": [[...] per token]}. Images are resized (shorter side, Pillow bicubic) and "
                + "centre-cropped to the model size, as in the official evaluation.",
        "%nTensor mode (--input/--output) takes a (B,3,H,W) float array in [0,1] and writes 'tokens' (int64, (B,1,K)) or, "
                + "for vae models, 'latents' (float32, (B,C,1,K)).%n"})
final class TokenizeCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model;

    @ArgGroup(exclusive = true, multiplicity = "1")
    ImagesOrTensor inputs;

    @Option(names = "--out", paramLabel = "FILE", description = "Write JSON lines here instead of stdout.")
    Path out;

    @Option(names = "--batch-size", defaultValue = "8", description = "Images per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Override
    public Integer call() {
        try (TiTok titok = model.open()) {
            if (inputs.tensor != null) {
                TensorMode.tokenize(titok, inputs.tensor, batchSize);
                return 0;
            }
            tokenizeImages(titok, ImageInputs.collect(inputs.images));
        }
        return 0;
    }

    private void tokenizeImages(TiTok titok, List<Path> files) {
        int size = titok.config().imageSize();
        ObjectMapper json = new ObjectMapper();
        try (OutputSink sink = new OutputSink(out); Progress progress = new Progress("tokenize", files.size(), "img")) {
            for (List<Path> batch : Batches.of(files, Batches.checkSize(batchSize))) {
                float[][] pixels = batch.stream().map(f -> Preprocess.evalTransform(ImageCodec.read(f), size))
                        .toArray(float[][]::new);
                boolean vq = titok.config().quantizeMode() == QuantizeMode.VQ;
                long[][] tokens = vq ? titok.tokenize(pixels) : null;
                float[][][] latents = vq ? null : titok.latentMeans(pixels);
                for (int i = 0; i < batch.size(); i++) {
                    ObjectNode line = json.createObjectNode().put("file", batch.get(i).toString());
                    if (vq) {
                        ArrayNode ids = line.putArray("tokens");
                        for (long t : tokens[i]) {
                            ids.add(t);
                        }
                    } else {
                        ArrayNode perToken = line.putArray("latents");
                        for (float[] token : latents[i]) {
                            ArrayNode channels = perToken.addArray();
                            for (float v : token) {
                                channels.add(v);
                            }
                        }
                    }
                    sink.line(line.toString());
                }
                progress.step(batch.size());
            }
            sink.commit();
        }
    }
}
