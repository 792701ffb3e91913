package dev.titok.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.titok.TitokException;
import dev.titok.data.Loader;
import dev.titok.data.TokenShards;
import dev.titok.generator.GeneratorConfig;
import dev.titok.generator.GeneratorModel;
import dev.titok.generator.MaskedTokenLoss;
import dev.titok.generator.Sampler;
import dev.titok.generator.TrainingMask;
import dev.titok.image.ImageGrid;
import dev.titok.image.Postprocess;
import dev.titok.image.Rounding;
import dev.titok.tensor.RandomSource;
import dev.titok.tensor.Seeded;
import dev.titok.tensor.Tensors;
import dev.titok.tokenizer.TiTok;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Trains a MaskGIT generator ({@code ImageBert} or {@code UViTBert}) on pretokenized images (SPEC §5.4, the official
 * {@code train_maskgit.py}). Each step takes the next batch of a seeded shuffle of the {@link TokenShards} (dropping
 * the incomplete last batch of each epoch), masks it with the arccos schedule, runs the training-mode forward pass
 * with label dropout {@code class_label_dropout}, and minimises the masked-token loss with AdamW (official parameter
 * groups), a warm-up + cosine learning rate, global-norm clipping and an EMA of the weights.
 *
 * <p>Every random draw of a step (masking, label dropout, dropout masks) comes from one seeded source that is part of
 * the {@link #state()}; with the data position this makes a resumed run continue bit-identically. Previews draw from
 * a source of their own, so taking one changes nothing in the training.
 *
 * <p>The caller owns the model and the preview tokenizer; the job owns its optimizer, EMA and preview copy
 * ({@link #close}). Each step opens and closes a gradient collector on the calling thread, so no other may be
 * open meanwhile (one per JVM).
 */
public final class GeneratorJob implements TrainingJob, AutoCloseable {

    /** Seed of the preview draws: every preview shows the same noise, so successive grids are comparable. */
    private static final long PREVIEW_SEED = 0x5eed;
    /** Previews are enlarged to at least this width so that 32-pixel images stay visible. */
    private static final int PREVIEW_MIN_WIDTH = 96;

    private final GeneratorModel model;
    private final TokenShards data;
    private final GeneratorTrainingConfig recipe;
    private final TiTok tokenizer;
    private final List<String> classNames;
    private final AdamW optimizer;
    private final Ema ema;
    private final Seeded random;
    private final LrSchedule schedule;
    private final TrainingState state;
    private final int batchesPerEpoch;
    private Loader.Position position = Loader.Position.START;
    private int orderEpoch = -1;
    private int[] order;
    private GeneratorModel previewModel;

    /**
     * @param model      a loaded or freshly initialised generator; it is made trainable here
     * @param data       pretokenized images whose K and vocabulary fit the model
     * @param recipe     batch, schedule, optimizer and preview settings
     * @param tokenizer  decodes preview samples to pixels ({@link TiTok#decodesToPixels()}), or null for no previews
     * @param classNames the caption of each class id, or an empty list for "class c"
     * @throws TitokException when the data does not fit the model or holds fewer images than one batch
     */
    public GeneratorJob(GeneratorModel model, TokenShards data, GeneratorTrainingConfig recipe, TiTok tokenizer,
                        List<String> classNames) {
        GeneratorConfig config = model.config();
        if (data.tokensPerImage() != config.imageSeqLen()) {
            throw new TitokException("token shards hold " + data.tokensPerImage() + " tokens per image: expected "
                    + config.imageSeqLen() + " for generator " + config.name());
        }
        if (data.size() < recipe.batchSize()) {
            throw new TitokException("token shards hold " + data.size() + " images: expected at least one batch of "
                    + recipe.batchSize());
        }
        if (tokenizer != null && (!tokenizer.decodesToPixels()
                || tokenizer.config().numLatentTokens() != config.imageSeqLen())) {
            throw new TitokException("the preview tokenizer " + tokenizer.config().name() + " must decode "
                    + config.imageSeqLen() + " tokens to pixels");
        }
        this.model = model;
        this.data = data;
        this.recipe = recipe;
        this.tokenizer = tokenizer;
        this.classNames = List.copyOf(classNames);
        this.optimizer = new AdamW(ParamGroups.official(Trainable.prepare(model), recipe.weightDecay()),
                recipe.beta1(), recipe.beta2(), AdamW.DEFAULT_EPS);
        this.ema = new Ema(model);
        this.random = RandomSource.seeded(recipe.seed());
        this.schedule = recipe.schedule();
        this.batchesPerEpoch = data.size() / recipe.batchSize();
        this.state = new TrainingState()
                .add("model", new ModuleWeights(model))
                .add("ema", ema)
                .add("optimizer", optimizer)
                .random("random", random)
                .config(configJson(config, recipe));
    }

    @Override
    public TrainingState state() {
        return state;
    }

    /**
     * One optimizer step on the next batch.
     *
     * @return {@code loss}, {@code masked_accuracy} (share of masked tokens predicted right), {@code lr} and
     *         {@code grad_norm} (before clipping)
     */
    @Override
    public Map<String, Double> step(long step) {
        TokenShards.Batch batch = nextBatch();
        int b = batch.size();
        int k = batch.tokensPerImage();
        float loss;
        float accuracy;
        try (NDScope scope = new NDScope();
             GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDManager m = model.manager();
            NDArray tokens = Tensors.of(m, widen(batch.tokens()), new Shape(b, k));                // (B, K)
            NDArray classes = Tensors.of(m, widen(batch.classIds()), new Shape(b));                 // (B)
            // Draw order as in the official step: masking, then label dropout and dropout inside the forward pass.
            TrainingMask masked = TrainingMask.arccos(tokens, model.codebookSize(), random);
            NDArray logits = model.forward(masked.inputIds(), classes, model.config().classLabelDropout(), random,
                    true);                                                                     // (B, K, N)
            MaskedTokenLoss.Result result = recipe.loss().compute(logits, tokens, masked.mask());
            collector.backward(result.loss());
            loss = result.loss().getFloat();
            accuracy = result.correctTokens().getFloat();
        }
        double lr = schedule.lr(step);
        double gradNorm = optimizer.clipStepAndZero(lr, recipe.maxGradNorm());
        ema.update();
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("loss", (double) loss);
        metrics.put("masked_accuracy", (double) accuracy);
        metrics.put("lr", lr);
        metrics.put("grad_norm", gradNorm);
        return metrics;
    }

    /**
     * Writes {@code samples-STEP.png}: one row per class (the first {@code previewClasses}), sampled with the recipe's
     * preview settings by the EMA (or live) generator and decoded by the tokenizer, each image captioned with its
     * class. Does nothing without a tokenizer.
     */
    @Override
    public void preview(long step, Path dir) {
        if (tokenizer == null) {
            return;
        }
        int classes = Math.min(recipe.previewClasses(), model.numClasses());
        int perClass = recipe.previewPerClass();
        long[] condition = new long[classes * perClass];
        List<String> captions = new ArrayList<>();
        for (int i = 0; i < condition.length; i++) {
            condition[i] = i / perClass;
            captions.add(className((int) condition[i]));
        }
        GeneratorModel sampler = recipe.previewEma() ? emaModel() : model;
        long[][] tokens;
        try (NoGrad off = NoGrad.enter(); NDScope scope = new NDScope()) {
            NDArray ids = Sampler.generate(sampler, Tensors.of(sampler.manager(), condition), recipe.preview(),
                    RandomSource.seeded(PREVIEW_SEED));                                        // (C·P, K)
            tokens = rows(ids.toLongArray(), condition.length, model.sequenceLength());
        }
        int size = tokenizer.config().imageSize();
        List<BufferedImage> images = new ArrayList<>();
        for (float[] image : tokenizer.detokenize(tokens)) {
            images.add(ImageGrid.enlarge(Postprocess.toImage(image, 0, size, size, Rounding.TRUNCATE),
                    PREVIEW_MIN_WIDTH));
        }
        ImageGrid.write(TrainingLoop.previewFile(dir, step), images, captions, perClass);
    }

    /** {@code {"epoch": e, "batch": b}}: the next batch of the seeded shuffle. */
    @Override
    public String dataPosition() {
        ObjectNode node = TrainingState.JSON.createObjectNode();
        node.put("epoch", position.epoch());
        node.put("batch", position.batch());
        return node.toString();
    }

    @Override
    public void restoreDataPosition(String json) {
        JsonNode node = TrainingState.parse(json, "data position");
        if (!node.path("epoch").canConvertToInt() || !node.path("batch").canConvertToInt()
                || node.get("batch").asInt() >= batchesPerEpoch || node.get("batch").asInt() < 0
                || node.get("epoch").asInt() < 0) {
            throw new TitokException("data position " + json + ": expected {\"epoch\": e, \"batch\": b} with b < "
                    + batchesPerEpoch + " for these token shards");
        }
        position = new Loader.Position(node.get("epoch").asInt(), node.get("batch").asInt());
    }

    /** Frees the optimizer moments, the EMA and the preview copy; the model and the tokenizer stay the caller's. */
    @Override
    public void close() {
        optimizer.close();
        ema.close();
        if (previewModel != null) {
            previewModel.close();
        }
    }

    private TokenShards.Batch nextBatch() {
        if (orderEpoch != position.epoch()) {
            order = Loader.order(recipe.seed(), position.epoch(), data.size());
            orderEpoch = position.epoch();
        }
        TokenShards.Batch batch = data.gather(order, position.batch() * recipe.batchSize(), recipe.batchSize());
        position = position.batch() + 1 < batchesPerEpoch
                ? new Loader.Position(position.epoch(), position.batch() + 1)
                : new Loader.Position(position.epoch() + 1, 0);
        return batch;
    }

    /** A second generator holding the current EMA weights, made on first use and refreshed on every call. */
    private GeneratorModel emaModel() {
        if (previewModel == null) {
            previewModel = GeneratorModel.random(model.config(), 0);
        }
        ema.copyTo(previewModel);
        return previewModel;
    }

    private String className(int c) {
        return c < classNames.size() ? classNames.get(c) : "class " + c;
    }

    private static long[] widen(int[] values) {
        long[] out = new long[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }

    private static long[][] rows(long[] flat, int count, int length) {
        long[][] out = new long[count][];
        for (int i = 0; i < count; i++) {
            out[i] = java.util.Arrays.copyOfRange(flat, i * length, (i + 1) * length);
        }
        return out;
    }

    private static String configJson(GeneratorConfig config, GeneratorTrainingConfig recipe) {
        ObjectNode node = TrainingState.JSON.createObjectNode();
        node.put("job", "generator");
        node.put("generator", config.name());
        node.set("recipe", TrainingState.JSON.valueToTree(recipe));
        return node.toString();
    }
}
