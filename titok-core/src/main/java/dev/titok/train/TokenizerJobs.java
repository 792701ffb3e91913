package dev.titok.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.titok.TitokException;
import dev.titok.data.Dataset;
import dev.titok.data.Loader;
import dev.titok.image.ImageGrid;
import dev.titok.image.Postprocess;
import dev.titok.image.Rounding;
import dev.titok.nn.Parameter;
import dev.titok.tensor.Tensors;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * What the tokenizer training jobs ({@link Stage1Job}, {@link SingleStageJob}) share: their recipe settings, the data
 * loader and its checkpointed position, batch metrics (PSNR, codebook usage) and preview grids.
 */
public final class TokenizerJobs {

    /** Images in a preview: the first of the dataset, the same at every step, so previews compare over time. */
    static final int PREVIEW_IMAGES = 8;
    /** Preview cells are enlarged to at least this width: tiny training images are hard to see otherwise. */
    private static final int PREVIEW_CELL = 96;

    private TokenizerJobs() {}

    /**
     * The recipe of a tokenizer training (SPEC §5.1–5.2), every knob of the official configs that these jobs use.
     *
     * @param batchSize       images per optimizer step ({@code training.per_gpu_batch_size})
     * @param learningRate    peak lr of the cosine schedule ({@code optimizer.params.learning_rate})
     * @param endLearningRate lr at {@code totalSteps} ({@code lr_scheduler.params.end_lr})
     * @param warmupSteps     linear warm-up from 0 ({@code lr_scheduler.params.warmup_steps})
     * @param totalSteps      the schedule's horizon ({@code training.max_train_steps}); a shorter run just stops early
     * @param beta1           AdamW β1
     * @param beta2           AdamW β2 (0.99 in stage 1, 0.999 in stage 2)
     * @param weightDecay     AdamW decay of the decaying group (the official no-decay rule applies)
     * @param maxGradNorm     global gradient norm clip ({@code training.max_grad_norm})
     * @param quantizerWeight weight of the vq quantizer loss ({@code losses.quantizer_weight})
     * @param klWeight        weight of the vae KL term ({@code losses.kl_weight})
     * @param seed            seeds the data order, augmentation and vae sampling ({@code training.seed})
     * @param deadCodeRestartEvery every this many steps, codes no token chose since the last check are moved onto
     *                        encoder outputs ({@link DeadCodeRestart}; {@code losses.dead_code_restart_every}, this
     *                        project's extension); 0, the official behaviour, never
     */
    public record Settings(int batchSize, double learningRate, double endLearningRate, long warmupSteps, long totalSteps,
                           double beta1, double beta2, double weightDecay, double maxGradNorm, double quantizerWeight,
                           double klWeight, long seed, int deadCodeRestartEvery) {

        public Settings {
            if (batchSize < 1 || !(learningRate > 0) || !(endLearningRate >= 0) || warmupSteps < 0 || totalSteps < 0
                    || !(maxGradNorm > 0) || !(quantizerWeight >= 0) || !(klWeight >= 0) || !(weightDecay >= 0)
                    || deadCodeRestartEvery < 0) {
                throw new TitokException("training settings: expected batch size >= 1, lr > 0, end lr, warm-up, steps,"
                        + " weights and decay >= 0, grad norm > 0; got " + this);
            }
        }

        /** The official stage-1 recipe (SPEC §5.2) over {@code totalSteps}: lr 1e-4, betas (0.9, 0.99), wd 1e-4. */
        public static Settings stage1(int batchSize, long warmupSteps, long totalSteps) {
            return new Settings(batchSize, 1e-4, 1e-5, warmupSteps, totalSteps, 0.9, 0.99, 1e-4, 1.0, 1.0, 0.0, 42, 0);
        }

        /**
         * The single-stage recipe: the stage-2 optimizer (SPEC §5.3: lr 1e-4, betas (0.9, 0.999), wd 1e-4) with the
         * quantizer loss at weight 1 (vq) or the KL term at 1e-6 (vae), as {@code ReconstructionLoss_Single_Stage}.
         */
        public static Settings singleStage(int batchSize, long warmupSteps, long totalSteps) {
            return new Settings(batchSize, 1e-4, 1e-5, warmupSteps, totalSteps, 0.9, 0.999, 1e-4, 1.0, 1.0, 1e-6, 42, 0);
        }

        /**
         * These settings with the values a training config sets ({@code optimizer.params.*},
         * {@code lr_scheduler.params.*}, {@code training.*}, {@code losses.quantizer_weight}, {@code losses.kl_weight}).
         */
        public Settings with(TrainingConfig config) {
            return new Settings(config.getInt("training.per_gpu_batch_size", batchSize),
                    config.getDouble("optimizer.params.learning_rate", learningRate),
                    config.getDouble("lr_scheduler.params.end_lr", endLearningRate),
                    config.getLong("lr_scheduler.params.warmup_steps", warmupSteps),
                    config.getLong("training.max_train_steps", totalSteps),
                    config.getDouble("optimizer.params.beta1", beta1),
                    config.getDouble("optimizer.params.beta2", beta2),
                    config.getDouble("optimizer.params.weight_decay", weightDecay),
                    config.getDouble("training.max_grad_norm", maxGradNorm),
                    config.getDouble("losses.quantizer_weight", quantizerWeight),
                    config.getDouble("losses.kl_weight", klWeight),
                    config.getLong("training.seed", seed),
                    config.getInt("losses.dead_code_restart_every", deadCodeRestartEvery));
        }

        /** These settings with another learning-rate schedule. */
        public Settings withSchedule(double learningRate, double endLearningRate, long warmupSteps, long totalSteps) {
            return new Settings(batchSize, learningRate, endLearningRate, warmupSteps, totalSteps, beta1, beta2,
                    weightDecay, maxGradNorm, quantizerWeight, klWeight, seed, deadCodeRestartEvery);
        }

        /** These settings with another seed. */
        public Settings withSeed(long seed) {
            return new Settings(batchSize, learningRate, endLearningRate, warmupSteps, totalSteps, beta1, beta2,
                    weightDecay, maxGradNorm, quantizerWeight, klWeight, seed, deadCodeRestartEvery);
        }

        LrSchedule schedule() {
            return LrSchedule.cosine(learningRate, endLearningRate, warmupSteps, totalSteps);
        }

        AdamW optimizer(Map<String, Parameter> trainable) {
            return new AdamW(ParamGroups.official(trainable, weightDecay), beta1, beta2, AdamW.DEFAULT_EPS);
        }

        /** The settings as JSON, for the checkpoint's {@code config.json}. */
        String json() {
            try {
                return TrainingState.JSON.writeValueAsString(this);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("settings cannot be written as JSON", e);
            }
        }
    }

    /** A shuffling loader of {@code data} in batches of the settings' size, seeded by them, starting at {@code start}. */
    static Loader loader(Dataset data, Settings settings, Loader.Position start) {
        return Loader.builder(data, settings.batchSize()).seed(settings.seed()).startAt(start).build();
    }

    /** A loader position as the checkpoint's data position: {@code {"epoch": e, "batch": b}}. */
    static String positionJson(Loader.Position position) {
        return "{\"epoch\": " + position.epoch() + ", \"batch\": " + position.batch() + "}";
    }

    /** The inverse of {@link #positionJson}. */
    static Loader.Position parsePosition(String json) {
        JsonNode node = TrainingState.parse(json, "data position");
        if (!node.path("epoch").canConvertToInt() || !node.path("batch").canConvertToInt()) {
            throw new TitokException("data position " + json + ": expected {\"epoch\": E, \"batch\": B}");
        }
        return new Loader.Position(node.get("epoch").asInt(), node.get("batch").asInt());
    }

    /** The batch's images as (B, 3, S, S) in {@code manager}. */
    static NDArray pixels(NDManager manager, Loader.Batch batch) {
        int s = batch.imageSize();
        return Tensors.of(manager, batch.pixels(), new Shape(batch.size(), 3, s, s));
    }

    /** Images (3, S, S) laid end to end, such as {@link #previewPixels}, as a (B, 3, S, S) tensor. */
    static NDArray pixels(NDManager manager, float[] images, int side) {
        return Tensors.of(manager, images, new Shape(images.length / (3 * side * side), 3, side, side));
    }

    /** Distinct token ids among {@code tokens} (any shape) over the codebook size: 1 when every entry is used. */
    static double codebookUsage(NDArray tokens, long codebookSize) {
        return Arrays.stream(tokens.toLongArray()).distinct().count() / (double) codebookSize;
    }

    /**
     * Mean PSNR in dB over the images of a (B, 3, H, W) batch, peak 1, with the reconstruction clamped to [0, 1] as
     * an image would be; an exact image counts as 100 dB.
     */
    static double psnr(NDArray reconstruction, NDArray pixels) {
        long b = pixels.getShape().get(0);
        float[] mse = reconstruction.clip(0, 1).sub(pixels).square().reshape(b, -1).mean(new int[] {1}).toFloatArray();
        double sum = 0;
        for (float m : mse) {
            sum += m > 0 ? Math.min(100, -10 * Math.log10(m)) : 100;
        }
        return sum / mse.length;
    }

    /** The first {@link #PREVIEW_IMAGES} images of {@code data} (fewer if it is smaller), (n, 3, S, S) row-major. */
    static float[] previewPixels(Dataset data) {
        int n = Math.min(PREVIEW_IMAGES, data.size());
        int per = 3 * data.imageSize() * data.imageSize();
        float[] out = new float[n * per];
        for (int i = 0; i < n; i++) {
            // a fixed generator: the same augmentation (if any) in every preview
            System.arraycopy(data.get(i, new SplittableRandom(i)).pixels(), 0, out, i * per, per);
        }
        return out;
    }

    /**
     * Writes {@link TrainingLoop#previewFile} in {@code dir}: one row of images per entry of {@code rows}, each a
     * (n, 3, S, S) batch (values clamped when converted).
     */
    static void writePreview(Path dir, long step, int imageSize, List<float[]> rows) {
        List<BufferedImage> cells = new ArrayList<>();
        int columns = rows.get(0).length / (3 * imageSize * imageSize);
        for (float[] row : rows) {
            for (BufferedImage image : Postprocess.toImages(row, columns, imageSize, imageSize, Rounding.ROUND_HALF_EVEN)) {
                cells.add(ImageGrid.enlarge(image, PREVIEW_CELL));
            }
        }
        ImageGrid.write(TrainingLoop.previewFile(dir, step), cells, null, columns);
    }
}
