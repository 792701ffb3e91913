package dev.titok.cli.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.titok.TitokException;
import dev.titok.config.QuantizeMode;
import dev.titok.config.TiTokConfig;
import dev.titok.generator.ImageNetClasses;
import dev.titok.generator.Sampler;
import dev.titok.image.ImageCodec;
import dev.titok.image.Postprocess;
import dev.titok.image.Preprocess;
import dev.titok.image.Rounding;
import dev.titok.tensor.RandomSource;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The HTTP server of {@code titok serve}: one web page and a JSON API over loaded tokenizers (and generators).
 *
 * <ul>
 *   <li>{@code GET /} the page; {@code GET /api/example} the example image the page loads with {@code ?example=1}</li>
 *   <li>{@code GET /api/models} the served models and the server's limits</li>
 *   <li>{@code POST /api/tokenize?model=NAME}, body the image file: its tokens, the preprocessed input and the
 *       reconstruction as PNG data URLs</li>
 *   <li>{@code POST /api/detokenize} {@code {"model", "tokens"}}: the decoded image as {@code image/png}</li>
 *   <li>{@code POST /api/generate} {@code {"model", "class", "count", "seed"}}: sampled tokens and images</li>
 * </ul>
 *
 * <p>Errors are JSON {@code {"error": "..."}}: 400 for bad input (the image codec's message names what was expected),
 * 404 for an unknown model or path, 405 for a wrong method, 413 for an upload over the limit, 503 when
 * {@code maxConcurrent} model computations already run, 504 when one takes longer than the timeout.
 *
 * <p>Each model computes one request at a time (the model classes make no promise about concurrent use, and CPU
 * libtorch already spreads one forward pass over all cores): concurrent requests for different models run in parallel,
 * those for the same model take turns within their timeout.
 */
public final class TiTokServer implements AutoCloseable {

    /**
     * What the server allows.
     *
     * @param maxUploadBytes the largest request body
     * @param maxConcurrent  model computations running at once; a further request gets 503 at once
     * @param timeout        how long a request waits for its computation before it gets 504
     */
    public record Limits(long maxUploadBytes, int maxConcurrent, Duration timeout) {
        public Limits {
            if (maxUploadBytes < 1 || maxConcurrent < 1 || timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("limits must be positive: " + maxUploadBytes + " bytes, "
                        + maxConcurrent + " concurrent, " + timeout);
            }
        }
    }

    /** Most samples of one generate request: the page shows them at once, and a batch stays quick on a CPU. */
    static final int MAX_SAMPLES = 16;

    /** How long {@link #close} waits for running computations. */
    static final Duration STOP_WAIT = Duration.ofSeconds(10);

    private static final String RESOURCES = "/dev/titok/cli/serve/";
    private static final Map<String, String> PAGE_FILES = Map.of(
            "/", "index.html", "/app.js", "app.js", "/style.css", "style.css");
    private static final Map<String, String> CONTENT_TYPES = Map.of(
            "html", "text/html; charset=utf-8", "js", "text/javascript; charset=utf-8", "css", "text/css; charset=utf-8");

    private final HttpServer http;
    private final Map<String, ServedModel> models = new LinkedHashMap<>();
    private final Limits limits;
    private final byte[] example;
    private final ObjectMapper json = new ObjectMapper();
    /** Taken for the duration of each model computation; package-visible so that tests can fill it. */
    final Semaphore slots;
    private final ExecutorService workers;
    private final ExecutorService exchanges;
    /** Set by {@link #close}: from then on computations are refused. */
    private volatile boolean stopping;

    private TiTokServer(HttpServer http, List<ServedModel> served, Limits limits, byte[] example) {
        this.http = http;
        this.limits = limits;
        this.example = example.clone();
        for (ServedModel model : served) {
            if (models.putIfAbsent(model.name(), model) != null) {
                throw new IllegalArgumentException("two models are named " + model.name());
            }
        }
        slots = new Semaphore(limits.maxConcurrent());
        // A computation that timed out keeps its worker (libtorch cannot be interrupted) and its slot until it ends, so
        // the slots always count what really runs, and the worker pool never needs to queue.
        workers = Executors.newFixedThreadPool(limits.maxConcurrent(), daemon("titok-serve-model"));
        // Exchange threads mostly wait (for uploads, for workers); a fixed pool bounds what a flood of clients costs.
        exchanges = Executors.newFixedThreadPool(limits.maxConcurrent() + 8, daemon("titok-serve-http"));
        http.createContext("/", this::handle);
        http.setExecutor(exchanges);
    }

    /**
     * Starts serving.
     *
     * @param address where to listen (port 0: any free port)
     * @param models  the models to offer, in the order the page lists them; the server does not close them
     * @param limits  upload size, concurrency and timeout
     * @param example the encoded image served as {@code /api/example}
     * @throws UncheckedIOException when the address cannot be bound
     */
    public static TiTokServer start(InetSocketAddress address, List<ServedModel> models, Limits limits, byte[] example) {
        if (models.isEmpty()) {
            throw new IllegalArgumentException("no models to serve");
        }
        HttpServer http;
        try {
            http = HttpServer.create(address, 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + address + ": " + e.getMessage(), e);
        }
        TiTokServer server = new TiTokServer(http, models, limits, example);
        http.start();
        return server;
    }

    /** The page's address, e.g. {@code http://127.0.0.1:8080/}. */
    public URI uri() {
        InetSocketAddress address = http.getAddress();
        String host = address.getAddress().isAnyLocalAddress() ? "127.0.0.1" : address.getAddress().getHostAddress();
        return URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort() + "/");
    }

    /**
     * Stops gracefully: new computations are refused (503), running ones get up to {@link #STOP_WAIT} to finish, their
     * answers a second to go out; then the listener and the threads stop. The models stay open.
     */
    @Override
    public void close() {
        stopping = true;
        try {
            slots.tryAcquire(limits.maxConcurrent(), STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        http.stop(1);
        exchanges.shutdownNow();
        workers.shutdownNow();
    }

    // ---- dispatch -------------------------------------------------------------------------------------------------

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            try {
                route(exchange);
            } catch (ApiError e) {
                sendError(exchange, e.status, e.getMessage());
            } catch (TitokException e) {
                sendError(exchange, 400, e.getMessage());
            } catch (RuntimeException e) {
                System.err.println("titok serve: " + exchange.getRequestURI() + " failed: " + e);
                sendError(exchange, 500, "internal error: " + e.getMessage());
            }
        }
    }

    private void route(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        switch (path) {
            case "/api/models" -> {
                requireMethod(exchange, "GET");
                sendJson(exchange, modelList());
            }
            case "/api/example" -> {
                requireMethod(exchange, "GET");
                send(exchange, 200, "application/octet-stream", example);
            }
            case "/api/tokenize" -> {
                requireMethod(exchange, "POST");
                // the upload first: answering before it is read would make the server drop the connection
                // under a client still sending (the JDK server drains at most 64 KB), losing the error response
                byte[] upload = readBody(exchange);
                ServedModel model = model(query(exchange).get("model"));
                sendJson(exchange, compute(() -> tokenize(model, upload)));
            }
            case "/api/detokenize" -> {
                requireMethod(exchange, "POST");
                JsonNode request = readJson(exchange);
                ServedModel model = model(text(request, "model"));
                long[] tokens = tokenIds(model, request.get("tokens"));
                send(exchange, 200, "image/png", compute(() -> detokenize(model, tokens)));
            }
            case "/api/generate" -> {
                requireMethod(exchange, "POST");
                JsonNode request = readJson(exchange);
                ServedModel model = model(text(request, "model"));
                sendJson(exchange, compute(() -> generate(model, request)));
            }
            default -> {
                String file = PAGE_FILES.get(path);
                if (file == null) {
                    throw new ApiError(404, "no such page or API: " + path);
                }
                requireMethod(exchange, "GET");
                send(exchange, 200, CONTENT_TYPES.get(file.substring(file.lastIndexOf('.') + 1)), resource(file));
            }
        }
    }

    // ---- the API --------------------------------------------------------------------------------------------------

    private ObjectNode modelList() {
        ObjectNode root = json.createObjectNode();
        ArrayNode list = root.putArray("models");
        for (ServedModel model : models.values()) {
            TiTokConfig config = model.tokenizer().config();
            ObjectNode entry = list.addObject()
                    .put("name", model.name())
                    .put("tokens", config.numLatentTokens())
                    .put("mode", config.quantizeMode() == QuantizeMode.VQ ? "vq" : "vae")
                    .put("codebookSize", config.codebookSize())
                    .put("tokenSize", config.tokenSize())
                    .put("imageSize", config.imageSize());
            if (model.generator() != null) {
                int classes = model.generator().numClasses();
                ObjectNode generator = entry.putObject("generator").put("classes", classes);
                if (classes == ImageNetClasses.count()) {
                    ArrayNode names = generator.putArray("classNames");
                    for (int c = 0; c < classes; c++) {
                        names.add(ImageNetClasses.shortName(c));
                    }
                }
            } else {
                entry.putNull("generator");
            }
        }
        root.putObject("limits")
                .put("maxUploadBytes", limits.maxUploadBytes())
                .put("maxConcurrent", limits.maxConcurrent())
                .put("timeoutSeconds", limits.timeout().toSeconds())
                .put("maxSamples", MAX_SAMPLES);
        return root;
    }

    private ObjectNode tokenize(ServedModel model, byte[] upload) {
        long start = System.nanoTime();
        TiTokConfig config = model.tokenizer().config();
        int size = config.imageSize();
        BufferedImage decoded = ImageCodec.readBytes(upload, "the uploaded file");
        // The official evaluation transform, step by step, so that the page shows exactly what the model sees.
        BufferedImage input = Preprocess.centerCrop(Preprocess.resizeShorterSide(decoded, size), size);
        float[][] pixels = {Preprocess.toTensor(input)};
        ObjectNode out = json.createObjectNode().put("model", model.name())
                .put("width", decoded.getWidth()).put("height", decoded.getHeight());
        float[] reconstruction;
        synchronized (model) {
            if (config.quantizeMode() == QuantizeMode.VQ) {
                long[][] tokens = model.tokenizer().tokenize(pixels);
                // Decoded from the ids, not via reconstruct(): the same path an edited token takes.
                reconstruction = model.tokenizer().detokenize(tokens)[0];
                ArrayNode ids = out.putArray("tokens");
                Arrays.stream(tokens[0]).forEach(ids::add);
            } else {
                float[][][] latents = model.tokenizer().latentMeans(pixels);
                reconstruction = model.tokenizer().decodeLatents(latents)[0];
                ArrayNode perToken = out.putArray("latents");
                for (float[] token : latents[0]) {
                    ArrayNode values = perToken.addArray();
                    for (float v : token) {
                        values.add(v);
                    }
                }
            }
        }
        out.put("original", dataUrl(ImageCodec.encodePng(input)));
        // Rounded as the reconstruction evaluation does (PSNR, rFID).
        out.put("reconstruction", dataUrl(png(reconstruction, size, Rounding.ROUND_HALF_EVEN)));
        return out.put("ms", elapsedMs(start));
    }

    private byte[] detokenize(ServedModel model, long[] tokens) {
        float[] pixels;
        synchronized (model) {
            pixels = model.tokenizer().detokenize(new long[][] {tokens})[0];
        }
        int size = model.tokenizer().config().imageSize();
        return png(pixels, size, Rounding.ROUND_HALF_EVEN);
    }

    private ObjectNode generate(ServedModel model, JsonNode request) {
        long start = System.nanoTime();
        if (model.generator() == null) {
            throw new ApiError(400, "model " + model.name() + " has no generator: start the server with --generator");
        }
        int classes = model.generator().numClasses();
        boolean imageNet = classes == ImageNetClasses.count();
        int classId = classId(request.get("class"), classes, imageNet);
        int count = request.path("count").asInt(4);
        if (count < 1 || count > MAX_SAMPLES) {
            throw new ApiError(400, "count must be 1.." + MAX_SAMPLES + ", got " + request.path("count"));
        }
        RandomSource random = RandomSource.seeded(request.path("seed").asLong(42));
        long[] labels = new long[count];
        Arrays.fill(labels, classId);
        long[][] tokens;
        float[][] images;
        synchronized (model) {
            tokens = Sampler.generate(model.generator(), labels, model.sampling(), random, step -> { });
            images = model.tokenizer().detokenize(tokens);
        }
        int size = model.tokenizer().config().imageSize();
        ObjectNode out = json.createObjectNode().put("model", model.name()).put("class", classId);
        out.put("className", imageNet ? ImageNetClasses.shortName(classId) : "class " + classId);
        ArrayNode samples = out.putArray("samples");
        for (int i = 0; i < count; i++) {
            ObjectNode sample = samples.addObject();
            ArrayNode ids = sample.putArray("tokens");
            Arrays.stream(tokens[i]).forEach(ids::add);
            // Truncated like the official sampling script.
            sample.put("image", dataUrl(png(images[i], size, Rounding.TRUNCATE)));
        }
        return out.put("ms", elapsedMs(start));
    }

    /** A class id from a number or, for an ImageNet generator, any of its names. */
    private static int classId(JsonNode value, int classes, boolean imageNet) {
        if (value == null || value.isNull() || value.asText().isBlank()) {
            throw new ApiError(400, "missing \"class\": expected a class id 0.." + (classes - 1)
                    + (imageNet ? " or an ImageNet class name" : ""));
        }
        String text = value.asText().trim();
        int id;
        if (imageNet) {
            id = ImageNetClasses.resolve(text);
        } else if (text.matches("\\d{1,9}")) {
            id = Integer.parseInt(text);
        } else {
            throw new ApiError(400, "class '" + text + "': this generator is not an ImageNet one, give a class id 0.."
                    + (classes - 1));
        }
        if (id >= classes) {
            throw new ApiError(400, "class id " + id + " is out of range: the generator knows classes 0.." + (classes - 1));
        }
        return id;
    }

    /** The token list of a detokenize request, checked against the model: K ids, each in the codebook. */
    private static long[] tokenIds(ServedModel model, JsonNode tokens) {
        TiTokConfig config = model.tokenizer().config();
        if (config.quantizeMode() != QuantizeMode.VQ) {
            throw new ApiError(400, "model " + model.name() + " is continuous (vae): it has no token ids to decode");
        }
        int k = config.numLatentTokens();
        int n = config.codebookSize();
        if (tokens == null || !tokens.isArray() || tokens.size() != k) {
            throw new ApiError(400, "\"tokens\" must be an array of " + k + " token ids for model " + model.name()
                    + ", got " + (tokens == null ? "none" : tokens.isArray() ? tokens.size() + " values" : tokens.getNodeType()));
        }
        long[] ids = new long[k];
        for (int i = 0; i < k; i++) {
            JsonNode id = tokens.get(i);
            if (!id.canConvertToLong() || !id.isIntegralNumber() || id.asLong() < 0 || id.asLong() >= n) {
                throw new ApiError(400, "token " + i + " is " + id + ": expected an id 0.." + (n - 1));
            }
            ids[i] = id.asLong();
        }
        return ids;
    }

    // ---- limits ---------------------------------------------------------------------------------------------------

    /**
     * Runs a model computation on a worker when a slot is free: 503 at once when none is, 504 when it outlasts the
     * timeout (it then finishes in the background and frees its slot only then).
     */
    private <T> T compute(Callable<T> work) {
        if (stopping) {
            throw new ApiError(503, "the server is stopping");
        }
        if (!slots.tryAcquire()) {
            throw new ApiError(503, "the server is busy: " + limits.maxConcurrent()
                    + " requests are already being computed; try again in a moment");
        }
        Future<T> future;
        try {
            future = workers.submit(() -> {
                try {
                    return work.call();
                } finally {
                    slots.release();
                }
            });
        } catch (RuntimeException e) {
            slots.release();
            throw e;
        }
        try {
            return future.get(limits.timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new ApiError(504, "the computation took longer than " + limits.timeout().toSeconds() + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiError(503, "the server is stopping");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /** The request body, refused with 413 beyond the limit: by its declared length before reading, else while reading. */
    private byte[] readBody(HttpExchange exchange) throws IOException {
        long max = limits.maxUploadBytes();
        String declared = exchange.getRequestHeaders().getFirst("Content-Length");
        if (declared != null && declared.matches("\\d{1,18}") && Long.parseLong(declared) > max) {
            throw tooLarge(Long.parseLong(declared) + " bytes");
        }
        try (InputStream in = exchange.getRequestBody()) {
            byte[] body = in.readNBytes((int) Math.min(max + 1, Integer.MAX_VALUE - 8));
            if (body.length > max) {
                throw tooLarge("more than " + max + " bytes");
            }
            return body;
        }
    }

    private ApiError tooLarge(String size) {
        return new ApiError(413, "the upload is too large: " + size + ", the limit is " + limits.maxUploadBytes()
                + " bytes (" + megabytes(limits.maxUploadBytes()) + " MB)");
    }

    private JsonNode readJson(HttpExchange exchange) throws IOException {
        byte[] body = readBody(exchange);
        try {
            JsonNode node = json.readTree(body);
            if (node == null || !node.isObject()) {
                throw new ApiError(400, "expected a JSON object as the request body");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new ApiError(400, "the request body is not JSON: " + e.getOriginalMessage());
        }
    }

    // ---- helpers --------------------------------------------------------------------------------------------------

    private ServedModel model(String name) {
        if (name == null || name.isBlank()) {
            if (models.size() == 1) {
                return models.values().iterator().next();
            }
            throw new ApiError(400, "which model? expected one of " + models.keySet());
        }
        ServedModel model = models.get(name);
        if (model == null) {
            throw new ApiError(404, "no model named '" + name + "': this server has " + models.keySet());
        }
        return model;
    }

    private static String text(JsonNode request, String field) {
        JsonNode value = request.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }

    private static void requireMethod(HttpExchange exchange, String method) {
        if (!exchange.getRequestMethod().equalsIgnoreCase(method)) {
            exchange.getResponseHeaders().set("Allow", method);
            throw new ApiError(405, exchange.getRequestURI().getPath() + " takes " + method + ", not "
                    + exchange.getRequestMethod());
        }
    }

    private static Map<String, String> query(HttpExchange exchange) {
        Map<String, String> params = new LinkedHashMap<>();
        String raw = exchange.getRequestURI().getRawQuery();
        if (raw != null) {
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                params.put(key, eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return params;
    }

    private static byte[] png(float[] chw, int size, Rounding rounding) {
        return ImageCodec.encodePng(Postprocess.toImage(chw, 0, size, size, rounding));
    }

    private static String dataUrl(byte[] png) {
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(png);
    }

    private static long elapsedMs(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    private static String megabytes(long bytes) {
        return String.format(Locale.ROOT, "%.1f", bytes / (1024.0 * 1024.0));
    }

    private static byte[] resource(String file) throws IOException {
        try (InputStream in = TiTokServer.class.getResourceAsStream(RESOURCES + file)) {
            if (in == null) {
                throw new IllegalStateException("resource " + RESOURCES + file + " is missing from the build");
            }
            return in.readAllBytes();
        }
    }

    private void sendJson(HttpExchange exchange, JsonNode body) throws IOException {
        send(exchange, 200, "application/json", json.writeValueAsBytes(body));
    }

    private void sendError(HttpExchange exchange, int status, String message) throws IOException {
        byte[] body = json.writeValueAsBytes(json.createObjectNode().put("error", message));
        if (status == 413) {
            // The rest of an oversized upload is not read: the connection cannot carry another request.
            exchange.getResponseHeaders().set("Connection", "close");
        }
        send(exchange, status, "application/json", body);
    }

    private static void send(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private static ThreadFactory daemon(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }

    /** A failure with its HTTP status and a message for the client. */
    private static final class ApiError extends RuntimeException {
        final int status;

        ApiError(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }
}
