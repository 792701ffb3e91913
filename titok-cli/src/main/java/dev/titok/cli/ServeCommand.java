package dev.titok.cli;

import dev.titok.TitokException;
import dev.titok.cli.serve.ServedModel;
import dev.titok.cli.serve.TiTokServer;
import dev.titok.data.SyntheticShapes;
import dev.titok.generator.GeneratorConfig;
import dev.titok.generator.GeneratorModel;
import dev.titok.generator.GeneratorModels;
import dev.titok.image.ImageCodec;
import dev.titok.image.Postprocess;
import dev.titok.image.Rounding;
import dev.titok.tokenizer.TiTok;
import dev.titok.tokenizer.TiTokModels;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code titok serve}: a web page and JSON API over loaded tokenizers and generators. */
@Command(name = "serve", description = {
        "Serve a web page and a JSON API: upload an image, see its tokens and the reconstruction, edit tokens, "
                + "generate samples.",
        "%nModels are loaded once at start. Name them with NAME=DIR|PRESET (default: the folder or preset name); "
                + "--weights, --generator and --generator-weights take NAME=FILE for the model of that name, or just "
                + "FILE when one model is served. Listens on 127.0.0.1 only unless --host says otherwise; Ctrl-C stops.",
        "%nAPI: GET /api/models; POST /api/tokenize?model=NAME (body: the image file); "
                + "POST /api/detokenize {\"model\",\"tokens\"} (answers a PNG); POST /api/generate "
                + "{\"model\",\"class\",\"count\",\"seed\"}. /?example=1 opens the page on the example image.%n"})
final class ServeCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "[NAME=]DIR|PRESET",
            description = "Tokenizer folder or preset, repeatable; stage-2 and vae models (stage-1 ones need a VQGAN).")
    List<String> models;

    @Option(names = "--weights", paramLabel = "[NAME=]FILE", description = "Weights of a preset or config file, repeatable.")
    List<String> weights = new ArrayList<>();

    @Option(names = "--generator", paramLabel = "[NAME=]DIR|PRESET",
            description = "Generator paired with the tokenizer NAME, repeatable.")
    List<String> generators = new ArrayList<>();

    @Option(names = "--generator-weights", paramLabel = "[NAME=]FILE", description = "Weights of a generator preset.")
    List<String> generatorWeights = new ArrayList<>();

    @Option(names = "--host", defaultValue = "127.0.0.1",
            description = "Address to listen on (default: ${DEFAULT-VALUE}; 0.0.0.0 opens it to the network).")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "Port (default: ${DEFAULT-VALUE}; 0: any free port).")
    int port;

    @Option(names = "--max-upload-mb", defaultValue = "16", description = "Largest upload in MiB (default: ${DEFAULT-VALUE}).")
    double maxUploadMb;

    @Option(names = "--max-concurrent", defaultValue = "2",
            description = "Model computations at once; more requests get 503 (default: ${DEFAULT-VALUE}).")
    int maxConcurrent;

    @Option(names = "--timeout-seconds", defaultValue = "60",
            description = "Longest wait for one computation before a 504 (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Option(names = "--example", paramLabel = "IMAGE",
            description = "Image the page shows with /?example=1 (default: a drawn shape).")
    Path example;

    @Mixin
    KernelsOption kernels = new KernelsOption();

    @Mixin
    SamplingOptions samplingOptions;

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (maxUploadMb <= 0 || maxConcurrent < 1 || timeoutSeconds < 1 || port < 0 || port > 65535) {
            throw new TitokException("--max-upload-mb, --max-concurrent and --timeout-seconds must be positive and "
                    + "--port 0..65535");
        }
        Map<String, String> tokenizers = named(models, "--model");
        Map<String, String> tokenizerWeights = forModels(weights, "--weights", tokenizers);
        Map<String, String> generatorModels = forModels(generators, "--generator", tokenizers);
        Map<String, String> generatorWeightFiles = forModels(generatorWeights, "--generator-weights", generatorModels);
        byte[] exampleImage = exampleImage();
        TiTokServer.Limits limits = new TiTokServer.Limits((long) (maxUploadMb * 1024 * 1024), maxConcurrent,
                Duration.ofSeconds(timeoutSeconds));
        List<ServedModel> served = new ArrayList<>();
        try {
            for (Map.Entry<String, String> entry : tokenizers.entrySet()) {
                String name = entry.getKey();
                served.add(load(name, entry.getValue(), tokenizerWeights.get(name), generatorModels.get(name),
                        generatorWeightFiles.get(name)));
            }
            // A client that sends its request slower than a computation may take is cut off, so that slow uploads
            // cannot hold connections forever. The JDK server reads this once, when its first instance starts.
            System.setProperty("sun.net.httpserver.maxReqTime",
                    System.getProperty("sun.net.httpserver.maxReqTime", String.valueOf(timeoutSeconds)));
            TiTokServer server = TiTokServer.start(new InetSocketAddress(host, port), served, limits, exampleImage);
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                System.err.println("titok serve: stopping");
                server.close();
                served.forEach(ServedModel::close);
                stopped.countDown();
            }, "titok-serve-stop"));
            System.err.println("serving " + String.join(", ", tokenizers.keySet()) + " at " + server.uri()
                    + " (Ctrl-C stops)");
            stopped.await();
            return 0;
        } catch (RuntimeException e) {
            served.forEach(ServedModel::close);
            throw e;
        }
    }

    private ServedModel load(String name, String model, String weightsFile, String generator, String generatorWeightsFile) {
        TiTok titok = kernels.apply(TiTokModels.open(model, path(weightsFile)));
        try {
            if (!titok.decodesToPixels()) {
                throw new TitokException("model " + name + " (" + model + ") is a stage-1 model whose decoder predicts "
                        + "MaskGIT-VQGAN codes: serve takes stage-2 and vae models");
            }
            if (generator == null) {
                return new ServedModel(name, titok, null, null);
            }
            GeneratorConfig genConfig = GeneratorModels.config(generator);
            GeneratorPairOptions.checkFit(titok.config(), genConfig);
            GeneratorModel generatorModel = kernels.apply(GeneratorModels.open(generator, path(generatorWeightsFile)));
            return new ServedModel(name, titok, generatorModel, samplingOptions.resolve(genConfig));
        } catch (RuntimeException e) {
            titok.close();
            throw e;
        }
    }

    /** The --example file (checked now, so that a bad one fails at start) or a drawn shape. */
    private byte[] exampleImage() throws IOException {
        if (example != null) {
            ImageCodec.read(example);
            return Files.readAllBytes(example);
        }
        int size = 128;
        float[] triangle = new SyntheticShapes(size, 3, 7).get(2, null).pixels();
        return ImageCodec.encodePng(Postprocess.toImage(triangle, 0, size, size, Rounding.ROUND_HALF_EVEN));
    }

    private static Path path(String file) {
        return file == null ? null : Path.of(file);
    }

    /** NAME=VALUE or VALUE (named after the folder or preset) for each --model, names unique. */
    private static Map<String, String> named(List<String> values, String option) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String value : values) {
            String[] split = split(value);
            String name = split[0] != null ? split[0] : defaultName(split[1]);
            if (out.putIfAbsent(name, split[1]) != null) {
                throw new TitokException("two " + option + " values are named '" + name + "': name them, e.g. "
                        + option + " a=" + split[1]);
            }
        }
        return out;
    }

    /** NAME=VALUE for one of {@code known}, or a bare VALUE when there is just one. */
    private static Map<String, String> forModels(List<String> values, String option, Map<String, String> known) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String value : values) {
            String[] split = split(value);
            String name = split[0];
            if (name == null) {
                if (known.size() != 1) {
                    throw new TitokException(option + " " + value + ": which model? give NAME=" + value + " with NAME one of "
                            + known.keySet());
                }
                name = known.keySet().iterator().next();
            } else if (!known.containsKey(name)) {
                throw new TitokException(option + " " + value + ": no model named '" + name + "', expected one of "
                        + known.keySet());
            }
            if (out.putIfAbsent(name, split[1]) != null) {
                throw new TitokException(option + " is given twice for model '" + name + "'");
            }
        }
        return out;
    }

    /** {name or null, value}: a prefix before '=' counts as a name when it looks like one (no path separators). */
    private static String[] split(String value) {
        int eq = value.indexOf('=');
        if (eq > 0 && value.substring(0, eq).matches("[A-Za-z0-9_.-]+")) {
            return new String[] {value.substring(0, eq), value.substring(eq + 1)};
        }
        return new String[] {null, value};
    }

    private static String defaultName(String model) {
        Path name = Path.of(model).toAbsolutePath().normalize().getFileName();
        return name == null ? model : name.toString();
    }
}
