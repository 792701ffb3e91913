package dev.titok.cli.serve;

import dev.titok.generator.GeneratorModels;
import dev.titok.generator.SamplingConfig;
import dev.titok.image.ImageCodec;
import dev.titok.tokenizer.TiTokModels;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.Assumptions;

/** The fixture tokenizer and generator as a served model, and HTTP helpers shared by the server tests. */
final class Fixtures {

    static final Path FIXTURES = Path.of(System.getProperty("titok.fixtures", "../shared/fixtures"));
    static final Path IMAGES = Path.of(System.getProperty("titok.images", "../shared/images"));
    static final Path TOKENIZER = FIXTURES.resolve("titok_vq_stage2");
    static final Path GENERATOR = FIXTURES.resolve("maskgit_tiny");
    static final Path PHOTO = IMAGES.resolve("ILSVRC2012_val_00008636.png");
    static final String NAME = "stage2";

    private Fixtures() {}

    static void assumePresent() {
        Assumptions.assumeTrue(Files.isDirectory(TOKENIZER) && Files.isDirectory(GENERATOR) && Files.isRegularFile(PHOTO),
                "fixtures or images missing: skipped");
    }

    /** The 32-pixel stage-2 fixture tokenizer with the 10-class fixture generator, which models its 8 tokens of 64 codes. */
    static ServedModel model() {
        return new ServedModel(NAME, TiTokModels.open(TOKENIZER.toString(), null),
                GeneratorModels.open(GENERATOR.toString(), null),
                SamplingConfig.of(GeneratorModels.config(GENERATOR.toString())));
    }

    static HttpResponse<byte[]> send(HttpRequest.Builder request) {
        try {
            return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static HttpRequest.Builder get(URI base, String path) {
        return HttpRequest.newBuilder(base.resolve(path)).GET();
    }

    static HttpRequest.Builder post(URI base, String path, byte[] body) {
        return HttpRequest.newBuilder(base.resolve(path)).POST(HttpRequest.BodyPublishers.ofByteArray(body));
    }

    static HttpRequest.Builder postJson(URI base, String path, String json) {
        return post(base, path, json.getBytes()).header("Content-Type", "application/json");
    }

    static BufferedImage decodeDataUrl(String dataUrl) {
        String prefix = "data:image/png;base64,";
        if (!dataUrl.startsWith(prefix)) {
            throw new IllegalArgumentException("not a PNG data URL: " + dataUrl.substring(0, Math.min(40, dataUrl.length())));
        }
        return png(Base64.getDecoder().decode(dataUrl.substring(prefix.length())));
    }

    static BufferedImage png(byte[] data) {
        return ImageCodec.readBytes(data, "response");
    }

    static boolean samePixels(BufferedImage a, BufferedImage b) {
        if (a.getWidth() != b.getWidth() || a.getHeight() != b.getHeight()) {
            return false;
        }
        for (int y = 0; y < a.getHeight(); y++) {
            for (int x = 0; x < a.getWidth(); x++) {
                if ((a.getRGB(x, y) & 0xFFFFFF) != (b.getRGB(x, y) & 0xFFFFFF)) {
                    return false;
                }
            }
        }
        return true;
    }
}
