package dev.titok.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.titok.TitokException;
import dev.titok.eval.FeatureSpace;
import dev.titok.eval.stats.FidStatistics;
import dev.titok.eval.stats.Frechet;
import dev.titok.eval.GenerationEvaluation;
import dev.titok.eval.SampleImages;
import dev.titok.io.AtomicFiles;
import dev.titok.io.DType;
import dev.titok.io.HostTensor;
import dev.titok.io.Npz;
import dev.titok.train.TrainingData;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code titok eval gen}: gFID and Inception Score of generated samples. */
@Command(name = "gen", description = {
        "Generation FID and Inception Score of samples (an ADM .npz from titok sample, or an image folder) against "
                + "reference statistics: an ADM reference .npz (mu, sigma; e.g. VIRTUAL_imagenet256_labeled.npz), or "
                + "real images (an .npz arr_0, an image folder, or a dataset such as an IDX folder) measured here.",
        "%nFID follows OpenAI ADM's evaluator (sqrtm of sigma_sample sigma_ref, eps*I retry when not finite). IS is "
                + "reported twice: ADM's (mean over splits of 5,000) and the official evaluator's (one split). "
                + "--save-ref keeps measured reference statistics for later runs.%n"})
final class GenEvalCommand implements Callable<Integer> {

    /** Key of the feature-space description in reference files written here (ADM's files lack it: Inception). */
    static final String FEATURE_SPACE_KEY = "feature_space";

    @Option(names = "--samples", required = true, paramLabel = "NPZ|DIR|DATA",
            description = "The samples to score: an ADM .npz (titok sample), a folder of images, or a dataset (IDX "
                    + "folder, synthetic) to measure real images against the reference, e.g. the train split against "
                    + "the test split as the floor of the feature space.")
    String samples;

    @Option(names = "--image-size", defaultValue = "32",
            description = "Side datasets are loaded at when no sample file gives it (default: ${DEFAULT-VALUE}).")
    int imageSize;

    @Option(names = "--samples-split", defaultValue = "train",
            description = "Split of a dataset given as --samples (default: ${DEFAULT-VALUE}).")
    String samplesSplit;

    @Option(names = "--ref", required = true, paramLabel = "NPZ|DATA",
            description = "Reference: an .npz with mu and sigma (ADM's), an .npz of images (arr_0), an image folder, "
                    + "or a dataset (IDX folder, synthetic).")
    String ref;

    @Option(names = "--ref-split", defaultValue = "test", description = "Split of a dataset reference (default: ${DEFAULT-VALUE}).")
    String refSplit;

    @Option(names = "--save-ref", paramLabel = "FILE.npz", description = "Write the measured reference statistics (mu, sigma).")
    Path saveRef;

    @Mixin
    FeatureOptions featureOptions;

    @Option(names = "--state", paramLabel = "FILE",
            description = "Save the running sums of the samples here and resume from them if the file exists.")
    Path state;

    @Option(names = "--save-every", defaultValue = "5000", paramLabel = "N",
            description = "Images between two saves of --state (default: ${DEFAULT-VALUE}).")
    int saveEvery;

    @Option(names = "--report", paramLabel = "FILE", description = "Write the figures and the protocol as JSON.")
    Path report;

    @Override
    public Integer call() {
        try (FeatureSpace space = featureOptions.open(true)) {
            FidStatistics reference = reference(space);
            GenerationEvaluation.Result result;
            try (SampleImages images = openSamples();
                 Progress progress = new Progress("score samples", images.count(), "img")) {
                result = GenerationEvaluation.run(images, space, state, saveEvery, progress::stepTo);
            }
            Frechet.Result fid = Frechet.admDistance(result.statistics().toFid(), reference);
            System.out.printf(Locale.ROOT, "samples %d%ngfid %.4f%ninception_score_adm %.4f (%d split%s of up to 5000)%n"
                            + "inception_score_official %.4f (one split)%nfeature_space %s%n",
                    result.images(), fid.fid(), result.admScore().score(), result.admScore().splitScores().length,
                    result.admScore().splitScores().length == 1 ? "" : "s", result.inceptionScore(), space.description());
            if (report != null) {
                writeReport(result, fid, space);
            }
        }
        return 0;
    }

    /** The reference statistics: read from an ADM-style file, or measured on real images. */
    private FidStatistics reference(FeatureSpace space) {
        Path path = Path.of(ref);
        if (ref.endsWith(".npz") && Files.isRegularFile(path) && Npz.keys(path).contains("mu")) {
            return readReference(path, space);
        }
        SampleImages images;
        if (ref.endsWith(".npz") || (Files.isDirectory(path) && !TrainingData.isIdx(path) && isSampleFolder(path))) {
            images = SampleImages.open(path);
        } else {
            images = SampleImages.of(TrainingData.open(ref, sampleSide(), EvalCommand.split(refSplit), TrainingData.Use.EVAL));
        }
        GenerationEvaluation.Result measured;
        try (images; Progress progress = new Progress("score reference", images.count(), "img")) {
            measured = GenerationEvaluation.run(images, space, null, Integer.MAX_VALUE, progress::stepTo);
        }
        FidStatistics stats = measured.statistics().toFid();
        if (saveRef != null) {
            writeReference(saveRef, stats, space);
            System.err.println("wrote the reference statistics to " + saveRef);
        }
        return stats;
    }

    /** A folder of image files directly (samples), rather than class subfolders (an image dataset). */
    private static boolean isSampleFolder(Path dir) {
        try (var list = Files.list(dir)) {
            return list.anyMatch(Files::isRegularFile);
        } catch (java.io.IOException e) {
            throw new TitokException(dir + ": cannot list the folder: " + e.getMessage(), e);
        }
    }

    private int sampleSide() {
        if (isDataset(samples)) {
            return imageSize;
        }
        try (SampleImages images = openSamples()) {
            return images.height();
        }
    }

    private static boolean isDataset(String spec) {
        Path path = Path.of(spec);
        return spec.equals("synthetic") || (Files.isDirectory(path) && TrainingData.isIdx(path));
    }

    /** An .npz or a folder of image files as they are; a dataset (IDX folder, synthetic) through its loader. */
    private SampleImages openSamples() {
        if (!isDataset(samples)) {
            return SampleImages.open(Path.of(samples));
        }
        return SampleImages.of(TrainingData.open(samples, imageSize, EvalCommand.split(samplesSplit), TrainingData.Use.EVAL));
    }

    static FidStatistics readReference(Path file, FeatureSpace space) {
        // ADM's reference files also hold thousands of images: read only the arrays needed
        String recorded = Npz.keys(file).contains(FEATURE_SPACE_KEY) ? text(Npz.read(file, FEATURE_SPACE_KEY)) : null;
        if (recorded == null && !space.isInception()) {
            throw new TitokException(file + " has no " + FEATURE_SPACE_KEY + " entry, so it holds Inception statistics "
                    + "(ADM's format), but this run measures in " + space.description());
        }
        if (recorded != null && !recorded.equals(space.description())) {
            throw new TitokException(file + " was measured in \"" + recorded + "\", not in \"" + space.description() + "\"");
        }
        FidStatistics stats = FidStatistics.read(file);
        if (stats.dim() != space.dimensions()) {
            throw new TitokException(file + " holds " + stats.dim() + "-dimensional statistics; this feature space has "
                    + space.dimensions());
        }
        return stats;
    }

    static void writeReference(Path file, FidStatistics stats, FeatureSpace space) {
        Map<String, HostTensor> arrays = new LinkedHashMap<>();
        arrays.put("mu", HostTensor.ofDoubles(new long[] {stats.dim()}, stats.mu()));
        arrays.put("sigma", HostTensor.ofDoubles(new long[] {stats.dim(), stats.dim()}, stats.sigma()));
        byte[] description = space.description().getBytes(StandardCharsets.UTF_8);
        arrays.put(FEATURE_SPACE_KEY, new HostTensor(DType.U8, new long[] {description.length}, ByteBuffer.wrap(description)));
        Npz.write(file, arrays);
    }

    private static String text(HostTensor bytes) {
        ByteBuffer data = bytes.data().duplicate();
        byte[] out = new byte[data.remaining()];
        data.get(out);
        return new String(out, StandardCharsets.UTF_8);
    }

    private void writeReport(GenerationEvaluation.Result result, Frechet.Result fid, FeatureSpace space) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("samples", samples);
        json.put("reference", ref);
        json.put("images", result.images());
        json.put("gfid", fid.fid());
        json.put("gfid_terms", Map.of("mean_term", fid.meanTerm(), "trace_reference", fid.traceReal(),
                "trace_samples", fid.traceFake(), "trace_covmean", fid.traceCovmean(), "fallback", fid.usedFallback()));
        json.put("inception_score_adm", result.admScore().score());
        json.put("inception_score_adm_splits", result.admScore().splitScores());
        json.put("inception_score_official", result.inceptionScore());
        json.put("feature_space", space.description());
        json.put("protocol", "OpenAI ADM evaluator: FID = |mu_s - mu_r|^2 + tr S_s + tr S_r - 2 tr sqrtm(S_s S_r) "
                + "(float64, eps*I retry), IS = mean over splits of 5000 of exp(mean KL(p || mean p)); official IS = one "
                + "split with 1e-16 inside the logs; features from uint8 images as stored");
        try {
            AtomicFiles.writeText(report, "evaluation report",
                    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(json) + "\n");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new TitokException(report + ": cannot write the report: " + e.getMessage(), e);
        }
    }
}
