package dev.titok.cli;

import dev.titok.TitokException;
import dev.titok.generator.GeneratorConfig;
import dev.titok.generator.GeneratorModel;
import dev.titok.generator.ImageNetClasses;
import dev.titok.generator.Sampler;
import dev.titok.generator.SamplingConfig;
import dev.titok.image.ImageCodec;
import dev.titok.image.ImageGrid;
import dev.titok.image.Postprocess;
import dev.titok.image.Rounding;
import dev.titok.tensor.RandomSource;
import dev.titok.tokenizer.TiTok;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code titok generate}: class-conditional images from a MaskGIT generator and a TiTok tokenizer. */
@Command(name = "generate", description = {
        "Generate class-conditional images with a MaskGIT generator and a TiTok tokenizer.",
        "%nThe generator samples token ids exactly as the official sampler (arccos schedule, classifier-free guidance, "
                + "temperature annealing), the tokenizer decodes them. Writes one PNG per sample and grid.png with one row "
                + "per class.",
        "%nSampling settings default to the generator config's, as the ImageNet script uses them: titok_l32 8 steps, "
                + "T 9.5, guidance 4.5 linear; titok_b64 8 / 11.0 / 3.0 linear; titok_s128 64 / 2.8 / 6.9 power-cosine; "
                + "softmax-temperature annealing on.%n"})
final class GenerateCommand implements Callable<Integer> {

    @Mixin
    GeneratorPairOptions models;

    @Option(names = "--class", required = true, paramLabel = "ID|NAME",
            description = "Class to generate: an id (207) or an ImageNet name (\"golden retriever\"); repeatable.")
    List<String> classes;

    @Option(names = "--count", defaultValue = "4", description = "Samples per class (default: ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of all sampling noise (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--out-dir", defaultValue = "samples", paramLabel = "DIR", description = "Output folder (default: ${DEFAULT-VALUE}).")
    Path outDir;

    @Option(names = "--batch-size", defaultValue = "8", description = "Samples per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Mixin
    SamplingOptions samplingOptions;

    /** Whether the generator's classes are the 1000 ImageNet ones, so that names can be used. */
    private boolean imageNet;

    @Override
    public Integer call() throws IOException {
        if (count < 1) {
            throw new TitokException("--count must be at least 1, got " + count);
        }
        Batches.checkSize(batchSize);
        GeneratorConfig genConfig = models.checkedGeneratorConfig();
        imageNet = genConfig.numClasses() == ImageNetClasses.count();
        SamplingConfig sampling = samplingOptions.resolve(genConfig);
        List<Integer> classIds = resolveClasses(genConfig);
        try (GeneratorModel model = models.openGenerator(); TiTok titok = models.openTokenizer()) {
            Files.createDirectories(outDir);
            List<Integer> labels = new ArrayList<>();
            classIds.forEach(c -> labels.addAll(Collections.nCopies(count, c)));
            List<BufferedImage> images = sample(model, titok, sampling, labels);
            writeOutputs(images, labels);
        }
        return 0;
    }

    private List<BufferedImage> sample(GeneratorModel model, TiTok titok, SamplingConfig sampling, List<Integer> labels) {
        RandomSource random = RandomSource.seeded(seed);
        int size = titok.config().imageSize();
        List<BufferedImage> images = new ArrayList<>();
        List<List<Integer>> batches = Batches.of(labels, batchSize);
        try (Progress progress = new Progress("generate", (long) batches.size() * sampling.steps(), "step")) {
            for (List<Integer> batch : batches) {
                long[][] tokens = Sampler.generate(model, batch.stream().mapToLong(Integer::longValue).toArray(),
                        sampling, random, step -> progress.step(1));
                // The official sampling script truncates: uint8(255 · clamp(x, 0, 1)).
                for (float[] pixels : titok.detokenize(tokens)) {
                    images.add(Postprocess.toImage(pixels, 0, size, size, Rounding.TRUNCATE));
                }
            }
        }
        return images;
    }

    private void writeOutputs(List<BufferedImage> images, List<Integer> labels) {
        List<String> captions = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            int label = labels.get(i);
            String name = className(label);
            captions.add(imageNet ? label + " " + name : "class " + label);
            String file = String.format("%03d_%s_%03d.png", label, name.replaceAll("[^A-Za-z0-9]+", "_"), i % count);
            ImageCodec.writePng(outDir.resolve(file), images.get(i));
        }
        List<BufferedImage> cells = images.stream().map(image -> ImageGrid.enlarge(image, 128)).toList();
        ImageGrid.write(outDir.resolve("grid.png"), cells, captions, count);
        System.err.println("wrote " + images.size() + " samples and grid.png to " + outDir);
    }

    /** Class ids from ids or ImageNet names; a generator with other than 1000 classes takes ids only. */
    private List<Integer> resolveClasses(GeneratorConfig config) {
        List<Integer> ids = new ArrayList<>();
        for (String c : classes) {
            int id = imageNet ? ImageNetClasses.resolve(c) : parseId(c);
            if (id >= config.numClasses()) {
                throw new TitokException("class id " + id + " is out of range: the generator knows classes 0.."
                        + (config.numClasses() - 1));
            }
            ids.add(id);
        }
        return ids;
    }

    private static int parseId(String c) {
        try {
            return Integer.parseInt(c.trim());
        } catch (NumberFormatException e) {
            throw new TitokException("class '" + c + "': this generator is not an ImageNet one, give a class id");
        }
    }

    private String className(int label) {
        return imageNet ? ImageNetClasses.shortName(label) : "class";
    }
}
