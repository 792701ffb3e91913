package dev.titok.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.titok.TitokException;
import dev.titok.image.ImageCodec;
import dev.titok.image.Postprocess;
import dev.titok.image.Preprocess;
import dev.titok.image.Rounding;
import dev.titok.vqgan.Vqgan;
import dev.titok.vqgan.VqganModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code titok vqgan encode|decode}: the MaskGIT-VQGAN proxy-code tokenizer on its own. */
@Command(name = "vqgan", description = "MaskGIT-VQGAN, the proxy-code teacher and pixel decoder of TiTok.",
        subcommands = {VqganCommand.Encode.class, VqganCommand.Decode.class})
final class VqganCommand {

    /** {@code --model DIR|maskgit_vqgan_f16_256 [--weights FILE]}. */
    static final class VqganOptions {
        @Option(names = "--model", defaultValue = VqganModels.OFFICIAL, paramLabel = "DIR|FILE",
                description = "Folder (config.json + weights) or a weights file of the official f16 model "
                        + "(maskgit-vqgan-imagenet-f16-256.bin); default: ${DEFAULT-VALUE}, which needs --weights.")
        String model;

        @Option(names = "--weights", paramLabel = "FILE", description = "Weights file.")
        Path weights;

        @Option(names = "--image-size", defaultValue = "256", description = "Image side (default: ${DEFAULT-VALUE}).")
        int imageSize;

        @Mixin
        KernelsOption kernels = new KernelsOption();

        Vqgan open() {
            return kernels.apply(VqganModels.open(model, weights));
        }
    }

    @Command(name = "encode", description = {"Images to MaskGIT-VQGAN codes, one JSON line {\"file\", \"codes\"} per image.",
            "%nTensor mode: (B,3,H,W) floats in [0,1] -> 'codes' (int64, (B, h*w)).%n"})
    static final class Encode implements Callable<Integer> {
        @Mixin
        VqganOptions options;

        @Parameters(paramLabel = "IMAGE", arity = "0..*", description = "Image files or folders.")
        List<Path> images = new ArrayList<>();

        @ArgGroup(exclusive = false)
        TensorOptions tensor;

        @Option(names = "--out", paramLabel = "FILE", description = "Write JSON lines here instead of stdout.")
        Path out;

        @Option(names = "--batch-size", defaultValue = "8", description = "Images per forward pass.")
        int batchSize;

        @Override
        public Integer call() {
            try (Vqgan vqgan = options.open()) {
                if (tensor != null) {
                    TensorMode.vqganEncode(vqgan, tensor, batchSize);
                    return 0;
                }
                List<Path> files = ImageInputs.collect(images);
                ObjectMapper json = new ObjectMapper();
                try (OutputSink sink = new OutputSink(out); Progress progress = new Progress("encode", files.size(), "img")) {
                    for (List<Path> batch : Batches.of(files, Batches.checkSize(batchSize))) {
                        float[][] pixels = batch.stream()
                                .map(f -> Preprocess.evalTransform(ImageCodec.read(f), options.imageSize)).toArray(float[][]::new);
                        long[][] codes = vqgan.encode(pixels, options.imageSize);
                        for (int i = 0; i < batch.size(); i++) {
                            ObjectNode line = json.createObjectNode().put("file", batch.get(i).toString());
                            ArrayNode array = line.putArray("codes");
                            for (long c : codes[i]) {
                                array.add(c);
                            }
                            sink.line(line.toString());
                        }
                        progress.step(batch.size());
                    }
                    sink.commit();
                }
            }
            return 0;
        }
    }

    @Command(name = "decode", description = {"MaskGIT-VQGAN codes (JSON lines with \"codes\") to PNG images.",
            "%nTensor mode: (B, h*w) or (B, h, w) int ids -> 'decoded' (float32, clamped to [0,1] as the official decode).%n"})
    static final class Decode implements Callable<Integer> {
        @Mixin
        VqganOptions options;

        @Parameters(paramLabel = "CODES.jsonl", arity = "0..1", description = "JSON lines with a \"codes\" array each.")
        Path codes;

        @ArgGroup(exclusive = false)
        TensorOptions tensor;

        @Option(names = "--out-dir", paramLabel = "DIR", description = "Folder for the PNG files.")
        Path outDir;

        @Option(names = "--batch-size", defaultValue = "8", description = "Code maps per forward pass.")
        int batchSize;

        @Override
        public Integer call() throws IOException {
            try (Vqgan vqgan = options.open()) {
                if (tensor != null) {
                    TensorMode.vqganDecode(vqgan, tensor, batchSize);
                    return 0;
                }
                if (codes == null || outDir == null) {
                    throw new TitokException("vqgan decode needs CODES.jsonl and --out-dir DIR (or --input/--output)");
                }
                List<long[]> rows = readCodes(codes, vqgan.config().codebookSize());
                Files.createDirectories(outDir);
                int index = 0;
                for (List<long[]> batch : Batches.of(rows, Batches.checkSize(batchSize))) {
                    float[][] images = vqgan.decode(batch.toArray(long[][]::new));
                    for (float[] image : images) {
                        int side = (int) Math.round(Math.sqrt(image.length / 3.0));
                        ImageCodec.writePng(outDir.resolve(String.format("codes-%06d.png", ++index)),
                                Postprocess.toImage(image, 0, side, side, Rounding.ROUND_HALF_EVEN));
                    }
                }
            }
            return 0;
        }

        private static List<long[]> readCodes(Path file, int codebook) throws IOException {
            if (!Files.isRegularFile(file)) {
                throw new TitokException(file + ": no such codes file");
            }
            List<long[]> rows = new ArrayList<>();
            int number = 0;
            for (String text : Files.readAllLines(file)) {
                number++;
                if (text.isBlank()) {
                    continue;
                }
                JsonNode node;
                try {
                    node = new ObjectMapper().readTree(text);
                } catch (IOException e) {
                    throw new TitokException(file + " line " + number + ": not valid JSON");
                }
                JsonNode codes = node.path("codes");
                int side = (int) Math.round(Math.sqrt(codes.size()));
                if (!codes.isArray() || codes.size() == 0 || side * side != codes.size()) {
                    throw new TitokException(file + " line " + number + ": expected a \"codes\" array of h*w ids for a square grid");
                }
                long[] ids = new long[codes.size()];
                for (int i = 0; i < ids.length; i++) {
                    JsonNode id = codes.get(i);
                    if (!id.isIntegralNumber() || id.asLong() < 0 || id.asLong() >= codebook) {
                        throw new TitokException(file + " line " + number + ": code " + i + " is " + id + ", expected 0.." + (codebook - 1));
                    }
                    ids[i] = id.asLong();
                }
                rows.add(ids);
            }
            if (rows.isEmpty()) {
                throw new TitokException(file + ": no code lines");
            }
            return rows;
        }
    }
}
