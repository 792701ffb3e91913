package dev.titok.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.titok.TitokException;
import dev.titok.config.QuantizeMode;
import dev.titok.image.ImageCodec;
import dev.titok.image.Postprocess;
import dev.titok.image.Rounding;
import dev.titok.tokenizer.TiTok;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code titok detokenize}: token ids (JSON lines from {@code tokenize}) back to PNG images. */
@Command(name = "detokenize", description = {
        "Decode token ids (JSON lines from tokenize) back to PNG images.",
        "%nOne PNG per line {\"tokens\": [...]}, named after its \"file\" if present; continuous (vae) models read "
                + "{\"latents\": [[...] per token]} as tokenize writes them.",
        "%nTensor mode (--input/--output) takes (B,K) or (B,1,K) integer ids (vae: (B,C,1,K) latents) and writes "
                + "'decoded', the raw unclamped decoder output (float32).%n"})
final class DetokenizeCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Inputs inputs;

    static final class Inputs {
        @Parameters(paramLabel = "TOKENS.jsonl", description = "JSON lines with a \"tokens\" array each.")
        Path tokens;

        @ArgGroup(exclusive = false)
        TensorOptions tensor;
    }

    @Option(names = "--out-dir", paramLabel = "DIR", description = "Folder for the PNG files (created if needed).")
    Path outDir;

    @Option(names = "--batch-size", defaultValue = "8", description = "Token lists per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Override
    public Integer call() throws IOException {
        try (TiTok titok = model.open()) {
            if (inputs.tensor != null) {
                TensorMode.detokenize(titok, inputs.tensor, batchSize);
                return 0;
            }
            if (outDir == null) {
                throw new TitokException("detokenize needs --out-dir DIR for the PNG files");
            }
            List<TokenLine> lines = readLines(inputs.tokens, titok);
            Files.createDirectories(outDir);
            int size = titok.config().imageSize();
            try (Progress progress = new Progress("detokenize", lines.size(), "img")) {
                for (List<TokenLine> batch : Batches.of(lines, Batches.checkSize(batchSize))) {
                    float[][] images = titok.config().quantizeMode() == QuantizeMode.VQ
                            ? titok.detokenize(batch.stream().map(TokenLine::tokens).toArray(long[][]::new))
                            : titok.decodeLatents(batch.stream().map(TokenLine::latents).toArray(float[][][]::new));
                    for (int i = 0; i < batch.size(); i++) {
                        ImageCodec.writePng(outDir.resolve(batch.get(i).outputName()),
                                Postprocess.toImage(images[i], 0, size, size, Rounding.ROUND_HALF_EVEN));
                    }
                    progress.step(batch.size());
                }
            }
        }
        return 0;
    }

    /** One parsed line: its token ids (vq) or latents (vae), and the PNG name it becomes. */
    record TokenLine(long[] tokens, float[][] latents, String outputName) {}

    /** Parses and checks every line before any decoding, so a bad line fails the run before anything is written. */
    static List<TokenLine> readLines(Path file, TiTok titok) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new TitokException(file + ": no such token file");
        }
        int k = titok.config().numLatentTokens();
        int codebook = titok.config().codebookSize();
        ObjectMapper json = new ObjectMapper();
        List<TokenLine> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        int number = 0;
        for (String text : Files.readAllLines(file)) {
            number++;
            if (text.isBlank()) {
                continue;
            }
            String where = file + " line " + number;
            JsonNode node;
            try {
                node = json.readTree(text);
            } catch (JsonProcessingException e) {
                throw new TitokException(where + ": not valid JSON: " + e.getOriginalMessage());
            }
            String name = uniqueName(node.path("file").asText(""), number, names);
            out.add(titok.config().quantizeMode() == QuantizeMode.VQ
                    ? new TokenLine(ids(node, where, k, codebook), null, name)
                    : new TokenLine(null, latents(node, where, k, titok.config().tokenSize()), name));
        }
        if (out.isEmpty()) {
            throw new TitokException(file + ": no token lines");
        }
        return out;
    }

    private static long[] ids(JsonNode node, String where, int k, int codebook) {
        JsonNode tokens = node.path("tokens");
        if (!tokens.isArray()) {
            throw new TitokException(where + ": expected an object with a \"tokens\" array of " + k + " ids");
        }
        if (tokens.size() != k) {
            throw new TitokException(where + ": " + tokens.size() + " token ids, expected " + k + " for this model");
        }
        long[] ids = new long[k];
        for (int i = 0; i < k; i++) {
            JsonNode id = tokens.get(i);
            if (!id.isIntegralNumber() || id.asLong() < 0 || id.asLong() >= codebook) {
                throw new TitokException(where + ": token " + i + " is " + id + ", expected an integer in 0.." + (codebook - 1));
            }
            ids[i] = id.asLong();
        }
        return ids;
    }

    /** A vae model's line: {@code "latents"}, K arrays of C numbers (what {@code tokenize} writes for such models). */
    private static float[][] latents(JsonNode node, String where, int k, int c) {
        JsonNode latents = node.path("latents");
        if (!latents.isArray() || latents.size() != k) {
            throw new TitokException(where + ": expected a \"latents\" array of " + k + " tokens of " + c + " numbers");
        }
        float[][] out = new float[k][c];
        for (int t = 0; t < k; t++) {
            JsonNode token = latents.get(t);
            if (!token.isArray() || token.size() != c) {
                throw new TitokException(where + ": latent token " + t + " is not an array of " + c + " numbers");
            }
            for (int j = 0; j < c; j++) {
                if (!token.get(j).isNumber()) {
                    throw new TitokException(where + ": latent token " + t + " holds " + token.get(j) + ", expected a number");
                }
                out[t][j] = token.get(j).floatValue();
            }
        }
        return out;
    }

    private static String uniqueName(String source, int line, Set<String> taken) {
        String stem = source.isEmpty() ? String.format("line-%06d", line) : Path.of(source).getFileName().toString();
        int dot = stem.lastIndexOf('.');
        stem = dot > 0 ? stem.substring(0, dot) : stem;
        String name = stem + ".png";
        for (int i = 2; !taken.add(name); i++) {
            name = stem + "-" + i + ".png";
        }
        return name;
    }
}
