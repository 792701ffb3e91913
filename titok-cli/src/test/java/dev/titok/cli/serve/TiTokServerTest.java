package dev.titok.cli.serve;

import static dev.titok.cli.serve.Fixtures.NAME;
import static dev.titok.cli.serve.Fixtures.decodeDataUrl;
import static dev.titok.cli.serve.Fixtures.get;
import static dev.titok.cli.serve.Fixtures.post;
import static dev.titok.cli.serve.Fixtures.postJson;
import static dev.titok.cli.serve.Fixtures.send;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.titok.image.ImageCodec;
import dev.titok.image.Postprocess;
import dev.titok.image.Preprocess;
import dev.titok.image.Rounding;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The JSON API of {@code titok serve} over HTTP, on the fixture tokenizer and generator. */
class TiTokServerTest {

    /** Tokens of the two photos, as {@code titok tokenize} prints them (README). */
    private static final List<long[]> PHOTO_TOKENS = List.of(new long[] {46, 15, 43, 54, 47, 4, 42, 9},
            new long[] {15, 15, 48, 11, 37, 4, 42, 2});
    private static final List<String> PHOTOS = List.of("ILSVRC2012_val_00008636.png", "ILSVRC2012_val_00010240.png");
    private static final long MAX_UPLOAD = 512 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static ServedModel model;
    private static TiTokServer server;
    private static URI base;

    @BeforeAll
    static void start() {
        Fixtures.assumePresent();
        model = Fixtures.model();
        server = TiTokServer.start(new InetSocketAddress("127.0.0.1", 0), List.of(model),
                new TiTokServer.Limits(MAX_UPLOAD, 2, Duration.ofSeconds(60)), new byte[] {1});
        base = server.uri();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
            model.close();
        }
    }

    private static JsonNode json(HttpResponse<byte[]> response) throws IOException {
        return JSON.readTree(response.body());
    }

    private static String error(HttpResponse<byte[]> response) throws IOException {
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        return json(response).path("error").asText("<no error field>");
    }

    private static long[] ids(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).mapToLong(JsonNode::asLong).toArray();
    }

    private static HttpResponse<byte[]> tokenize(byte[] image, String modelName) {
        return send(post(base, "/api/tokenize?model=" + modelName, image));
    }

    @Test
    void listsTheModelWithItsGeneratorAndTheLimits() throws IOException {
        JsonNode root = json(send(get(base, "/api/models")));
        JsonNode entry = root.path("models").get(0);
        assertThat(entry.path("name").asText()).isEqualTo(NAME);
        assertThat(entry.path("tokens").asInt()).isEqualTo(8);
        assertThat(entry.path("codebookSize").asInt()).isEqualTo(64);
        assertThat(entry.path("imageSize").asInt()).isEqualTo(32);
        assertThat(entry.path("mode").asText()).isEqualTo("vq");
        assertThat(entry.path("generator").path("classes").asInt()).isEqualTo(10);
        assertThat(root.path("limits").path("maxUploadBytes").asLong()).isEqualTo(MAX_UPLOAD);
    }

    @Test
    void tokenizeGivesTheTokensOfTheEvaluationTransformAndTheReconstructionOfThem() throws IOException {
        for (int i = 0; i < PHOTOS.size(); i++) {
            Path photo = Fixtures.IMAGES.resolve(PHOTOS.get(i));
            HttpResponse<byte[]> response = tokenize(Files.readAllBytes(photo), NAME);
            assertThat(response.statusCode()).as(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo(200);
            JsonNode result = json(response);
            long[] tokens = ids(result.path("tokens"));
            BufferedImage decoded = ImageCodec.read(photo);
            long[] direct = model.tokenizer().tokenize(new float[][] {Preprocess.evalTransform(decoded, 32)})[0];
            assertThat(tokens).isEqualTo(direct).isEqualTo(PHOTO_TOKENS.get(i));

            BufferedImage input = Preprocess.centerCrop(Preprocess.resizeShorterSide(decoded, 32), 32);
            assertThat(Fixtures.samePixels(decodeDataUrl(result.path("original").asText()), input)).isTrue();
            float[] pixels = model.tokenizer().detokenize(new long[][] {tokens})[0];
            BufferedImage expected = Postprocess.toImage(pixels, 0, 32, 32, Rounding.ROUND_HALF_EVEN);
            assertThat(Fixtures.samePixels(decodeDataUrl(result.path("reconstruction").asText()), expected)).isTrue();
        }
    }

    @Test
    void detokenizeDecodesEditedTokensAndTheOriginalOnesBackToTheReconstruction() throws IOException {
        JsonNode tokenized = json(tokenize(Files.readAllBytes(Fixtures.PHOTO), NAME));
        long[] tokens = ids(tokenized.path("tokens"));
        HttpResponse<byte[]> same = send(postJson(base, "/api/detokenize",
                "{\"model\":\"" + NAME + "\",\"tokens\":" + Arrays.toString(tokens) + "}"));
        assertThat(same.statusCode()).isEqualTo(200);
        assertThat(same.headers().firstValue("Content-Type")).hasValue("image/png");
        BufferedImage reconstruction = decodeDataUrl(tokenized.path("reconstruction").asText());
        assertThat(Fixtures.samePixels(Fixtures.png(same.body()), reconstruction)).isTrue();

        tokens[0] = (tokens[0] + 1) % 64;
        HttpResponse<byte[]> edited = send(postJson(base, "/api/detokenize",
                "{\"model\":\"" + NAME + "\",\"tokens\":" + Arrays.toString(tokens) + "}"));
        assertThat(edited.statusCode()).isEqualTo(200);
        BufferedImage expected = Postprocess.toImage(model.tokenizer().detokenize(new long[][] {tokens})[0], 0, 32, 32,
                Rounding.ROUND_HALF_EVEN);
        assertThat(Fixtures.samePixels(Fixtures.png(edited.body()), expected)).isTrue();
        assertThat(Fixtures.samePixels(expected, reconstruction)).isFalse();
    }

    @Test
    void tokenIdsOutOfRangeOrOfTheWrongCountAre400() throws IOException {
        HttpResponse<byte[]> outOfRange = send(postJson(base, "/api/detokenize",
                "{\"model\":\"" + NAME + "\",\"tokens\":[1,2,3,4,5,6,7,64]}"));
        assertThat(outOfRange.statusCode()).isEqualTo(400);
        assertThat(error(outOfRange)).contains("token 7 is 64", "0..63");
        HttpResponse<byte[]> negative = send(postJson(base, "/api/detokenize",
                "{\"model\":\"" + NAME + "\",\"tokens\":[-1,2,3,4,5,6,7,8]}"));
        assertThat(negative.statusCode()).isEqualTo(400);
        HttpResponse<byte[]> tooFew = send(postJson(base, "/api/detokenize", "{\"model\":\"" + NAME + "\",\"tokens\":[1,2]}"));
        assertThat(tooFew.statusCode()).isEqualTo(400);
        assertThat(error(tooFew)).contains("8 token ids", "2 values");
        HttpResponse<byte[]> notJson = send(postJson(base, "/api/detokenize", "tokens please"));
        assertThat(notJson.statusCode()).isEqualTo(400);
        assertThat(error(notJson)).contains("not JSON");
    }

    @Test
    void generateSamplesTheClassReproduciblyBySeed() throws IOException {
        String request = "{\"model\":\"" + NAME + "\",\"class\":3,\"count\":2,\"seed\":5}";
        HttpResponse<byte[]> first = send(postJson(base, "/api/generate", request));
        assertThat(first.statusCode()).as(new String(first.body(), StandardCharsets.UTF_8)).isEqualTo(200);
        JsonNode samples = json(first).path("samples");
        assertThat(samples.size()).isEqualTo(2);
        for (JsonNode sample : samples) {
            assertThat(Arrays.stream(ids(sample.path("tokens"))).boxed().toList()).hasSize(8).allMatch(id -> id >= 0 && id < 64);
            assertThat(decodeDataUrl(sample.path("image").asText()).getWidth()).isEqualTo(32);
        }
        assertThat(json(send(postJson(base, "/api/generate", request))).path("samples")).isEqualTo(samples);

        HttpResponse<byte[]> badClass = send(postJson(base, "/api/generate", "{\"model\":\"" + NAME + "\",\"class\":10}"));
        assertThat(badClass.statusCode()).isEqualTo(400);
        assertThat(error(badClass)).contains("class id 10", "0..9");
        HttpResponse<byte[]> tooMany = send(postJson(base, "/api/generate",
                "{\"model\":\"" + NAME + "\",\"class\":1,\"count\":" + (TiTokServer.MAX_SAMPLES + 1) + "}"));
        assertThat(tooMany.statusCode()).isEqualTo(400);
    }

    @Test
    void anUploadOverTheLimitIs413() throws IOException {
        HttpResponse<byte[]> response = tokenize(new byte[(int) MAX_UPLOAD + 1], NAME);
        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(error(response)).contains("too large", String.valueOf(MAX_UPLOAD));
    }

    @Test
    void badFilesAre400NamingWhatWasExpected() throws IOException {
        byte[] photo = Files.readAllBytes(Fixtures.PHOTO);
        HttpResponse<byte[]> truncated = tokenize(Arrays.copyOf(photo, photo.length / 2), NAME);
        assertThat(truncated.statusCode()).isEqualTo(400);
        assertThat(error(truncated)).contains("uploaded file", "truncated or corrupt", "PNG");

        byte[] corrupt = photo.clone();
        for (int i = 100; i < corrupt.length; i += 7) {
            corrupt[i] ^= 0x5A;
        }
        HttpResponse<byte[]> garbled = tokenize(corrupt, NAME);
        assertThat(garbled.statusCode()).isEqualTo(400);
        assertThat(error(garbled)).contains("uploaded file");

        HttpResponse<byte[]> text = tokenize("just some text\n".getBytes(StandardCharsets.UTF_8), NAME);
        assertThat(text.statusCode()).isEqualTo(400);
        assertThat(error(text)).contains("not an image", "expected PNG, JPEG");

        HttpResponse<byte[]> empty = tokenize(new byte[0], NAME);
        assertThat(empty.statusCode()).isEqualTo(400);
        assertThat(error(empty)).contains("empty");
    }

    @Test
    void aRequestBeyondTheConcurrencyLimitIs503() throws IOException {
        // Both slots taken, as by two long computations.
        server.slots.acquireUninterruptibly(2);
        try {
            HttpResponse<byte[]> response = tokenize(Files.readAllBytes(Fixtures.PHOTO), NAME);
            assertThat(response.statusCode()).isEqualTo(503);
            assertThat(error(response)).contains("busy");
        } finally {
            server.slots.release(2);
        }
        assertThat(tokenize(Files.readAllBytes(Fixtures.PHOTO), NAME).statusCode()).isEqualTo(200);
    }

    @Test
    void aComputationOverTheTimeoutIs504() throws IOException {
        try (TiTokServer impatient = TiTokServer.start(new InetSocketAddress("127.0.0.1", 0), List.of(model),
                new TiTokServer.Limits(MAX_UPLOAD, 1, Duration.ofMillis(1)), new byte[] {1})) {
            HttpResponse<byte[]> response = send(postJson(impatient.uri(), "/api/generate",
                    "{\"model\":\"" + NAME + "\",\"class\":1,\"count\":" + TiTokServer.MAX_SAMPLES + "}"));
            assertThat(response.statusCode()).isEqualTo(504);
            assertThat(error(response)).contains("longer than");
        }
    }

    @Test
    void unknownModelsPathsAndMethods() throws IOException {
        HttpResponse<byte[]> unknownModel = tokenize(Files.readAllBytes(Fixtures.PHOTO), "nope");
        assertThat(unknownModel.statusCode()).isEqualTo(404);
        assertThat(error(unknownModel)).contains("'nope'", NAME);
        assertThat(send(postJson(base, "/api/detokenize", "{\"model\":\"nope\",\"tokens\":[]}")).statusCode()).isEqualTo(404);
        assertThat(send(get(base, "/api/nothing")).statusCode()).isEqualTo(404);
        assertThat(send(get(base, "/api/tokenize")).statusCode()).isEqualTo(405);
    }

    @Test
    void servesThePageAndItsScriptFromTheJar() {
        HttpResponse<byte[]> page = send(get(base, "/"));
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/html"));
        String html = new String(page.body(), StandardCharsets.UTF_8);
        assertThat(html).contains("app.js", "style.css").doesNotContain("http://", "https://");
        assertThat(send(get(base, "/app.js")).statusCode()).isEqualTo(200);
        assertThat(send(get(base, "/style.css")).statusCode()).isEqualTo(200);
        assertThat(send(get(base, "/api/example")).body()).containsExactly(1);
    }
}
