package dev.titok.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import dev.titok.TitokException;
import dev.titok.config.TiTokConfig;
import dev.titok.data.Dataset;
import dev.titok.data.Loader;
import dev.titok.io.HostTensor;
import dev.titok.nn.StateDict;
import dev.titok.tensor.Trace;
import dev.titok.tokenizer.TiTok;
import dev.titok.vqgan.Vqgan;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * TiTok stage 2, decoder fine-tuning (SPEC §5.3): a {@code finetune_decoder} TiTok initialised from a stage-1 model
 * and the MaskGIT-VQGAN it was trained against (§2.5, {@link #initialWeights}). The encoder, {@code latent_tokens}
 * and the quantizer are frozen and run without gradients; the ViT decoder, {@code pixel_quantize} (the codebook of the
 * soft mixture) and {@code pixel_decoder} are trained end to end on
 * <pre>
 *   total = mean((x − x̂)²) + adversary.generatorLoss(x̂)
 * </pre>
 * The official recipe adds {@code 0.1·perceptual} (MSE between ConvNeXt-S logits at 224², §5.3); no such network is
 * available offline, so the term is absent. It would be one more addend of {@code total} in {@link #step}, computed
 * on the same {@code x̂} inside the generator's gradient collector. The quantizer loss has weight 0 there and is
 * not computed.
 *
 * <p>AdamW betas (0.9, 0.999), weight decay 1e-4, warm-up + cosine, clipping 1.0 and {@link Ema} (§5.1); the
 * discriminator is updated after the generator, on the same reconstructions.
 */
public final class Stage2Job implements TrainingJob, AutoCloseable {

    /**
     * The recipe.
     *
     * @param batchSize   images per step
     * @param lr          base learning rate (1e-4)
     * @param endLr       end of the cosine (1e-5)
     * @param warmupSteps linear warm-up (5,000)
     * @param totalSteps  length of the cosine (500,000)
     * @param beta1       AdamW β1 (0.9)
     * @param beta2       AdamW β2 (0.999)
     * @param weightDecay of the decay group (1e-4)
     * @param maxGradNorm global-norm clipping (1.0; 0: none)
     * @param seed        data order
     * @param adversary   the GAN part ({@link Adversary.Settings#official}), or null for none
     */
    public record Settings(int batchSize, double lr, double endLr, long warmupSteps, long totalSteps, double beta1,
                           double beta2, double weightDecay, double maxGradNorm, long seed,
                           Adversary.Settings adversary) {

        /** The official values for a run of {@code totalSteps}, GAN from step 20,000. */
        public static Settings official(int batchSize, long totalSteps) {
            return new Settings(batchSize, 1e-4, 1e-5, 5_000, totalSteps, 0.9, 0.999, 1e-4, 1.0, 42,
                    Adversary.Settings.official(totalSteps));
        }
    }

    /** What stage 2 trains: the ViT decoder and the pixel codebook and decoder. */
    public static final Predicate<String> TRAINABLE = name -> name.startsWith("decoder.")
            || name.startsWith("pixel_quantize.") || name.startsWith("pixel_decoder.");

    private final Settings settings;
    private final Dataset data;
    private final TiTok model;
    private final AdamW optimizer;
    private final LrSchedule schedule;
    private final Ema ema;
    private final Adversary adversary;
    private final TrainingState state;
    private final ResumableLoader loader;

    /**
     * Builds the stage-2 model from {@code stage1} and {@code vqgan} (both left to the caller, unchanged) and readies
     * it for training on {@code data}, whose images must have the model's size.
     */
    public Stage2Job(Settings settings, TiTok stage1, Vqgan vqgan, Dataset data, int loaderThreads) {
        TiTokConfig config = stage2Config(stage1.config(), vqgan);
        if (data.imageSize() != config.imageSize()) {
            throw new TitokException(data + ": images of side " + data.imageSize() + ", but " + config.name()
                    + " takes " + config.imageSize());
        }
        this.settings = settings;
        this.data = data;
        this.model = TiTok.load(config, initialWeights(stage1, vqgan), "stage-1 TiTok + MaskGIT-VQGAN");
        this.optimizer = new AdamW(ParamGroups.official(Trainable.prepare(model, TRAINABLE), settings.weightDecay()),
                settings.beta1(), settings.beta2(), AdamW.DEFAULT_EPS);
        this.schedule = LrSchedule.cosine(settings.lr(), settings.endLr(), settings.warmupSteps(), settings.totalSteps());
        this.ema = new Ema(model);
        this.adversary = settings.adversary() == null ? null : new Adversary(settings.adversary());
        this.state = new TrainingState()
                .add("model", new ModuleWeights(model))
                .add("ema", ema)
                .add("optimizer", optimizer);
        if (adversary != null) {
            state.add("adversary", adversary);
        }
        this.loader = new ResumableLoader(start -> Loader.builder(data, settings.batchSize()).seed(settings.seed())
                .threads(loaderThreads).startAt(start).build());
    }

    /** The stage-1 config with {@code finetune_decoder} on and the VQGAN as pixel decoder. */
    public static TiTokConfig stage2Config(TiTokConfig stage1, Vqgan vqgan) {
        if (stage1.finetuneDecoder() || !stage1.legacy()) {
            throw new TitokException(stage1.name() + " is not a stage-1 model (finetune_decoder false, is_legacy true)");
        }
        return new TiTokConfig(stage1.name() + "-stage2", stage1.encoder(), stage1.decoder(), stage1.encoderPatchSize(),
                stage1.decoderPatchSize(), stage1.imageSize(), stage1.numLatentTokens(), stage1.tokenSize(),
                stage1.quantizeMode(), stage1.codebookSize(), stage1.useL2Norm(), stage1.commitmentCost(), true, true,
                stage1.layerNormEps(), vqgan.config());
    }

    /** The initial stage-2 weights: {@link #merge} of the two models' state dicts. */
    public static Map<String, HostTensor> initialWeights(TiTok stage1, Vqgan vqgan) {
        return merge(StateDict.export(stage1), StateDict.export(vqgan));
    }

    /**
     * The official stage-2 initialisation (SPEC §2.5): every stage-1 tensor, plus every VQGAN tensor whose name does
     * not contain {@code encoder.}, renamed with a {@code pixel_} prefix ({@code decoder.X → pixel_decoder.X},
     * {@code quantize.embedding.weight → pixel_quantize.embedding.weight}).
     */
    public static Map<String, HostTensor> merge(Map<String, HostTensor> stage1, Map<String, HostTensor> vqgan) {
        Map<String, HostTensor> out = new LinkedHashMap<>(stage1);
        vqgan.forEach((name, tensor) -> {
            if (!name.contains("encoder.")) {
                out.put("pixel_" + name, tensor);
            }
        });
        return out;
    }

    @Override
    public TrainingState state() {
        return state;
    }

    /** The model being trained. */
    public TiTok model() {
        return model;
    }

    /** Its EMA weights ({@link Ema#copyTo} them into a model for evaluation or export). */
    public Ema ema() {
        return ema;
    }

    @Override
    public Map<String, Double> step(long step) {
        Loader.Batch batch = loader.next();
        Map<String, Double> metrics = new LinkedHashMap<>();
        try (NDScope scope = new NDScope()) {
            NDArray real = TokenizerJobs.pixels(model.manager(), batch);
            NDArray tokens;
            try (NoGrad off = NoGrad.enter()) {
                tokens = model.encode(real, null, Trace.NONE).zQuantized();              // (B, C, 1, K), frozen
            }
            NDArray fake;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray pixels = model.decode(tokens, Trace.NONE);                        // (B, 3, H, W)
                NDArray rec = pixels.sub(real).square().mean();
                NDArray total = rec;
                if (adversary != null) {
                    NDArray gan = adversary.generatorLoss(pixels, step);
                    total = total.add(gan);
                    metrics.put("gan", (double) gan.getFloat());
                }
                collector.backward(total);
                fake = pixels.stopGradient();
                metrics.put("loss", (double) total.getFloat());
                metrics.put("rec", (double) rec.getFloat());
            }
            double lr = schedule.lr(step);
            metrics.put("grad_norm", optimizer.clipStepAndZero(lr, settings.maxGradNorm()));
            ema.update();
            metrics.put("lr", lr);
            if (adversary != null) {
                metrics.putAll(adversary.discriminatorStep(real, fake, step));
            }
        }
        return metrics;
    }

    /** Originals (first row) above their reconstructions with the current weights, from the first examples. */
    @Override
    public void preview(long step, Path dir) {
        float[] originals = TokenizerJobs.previewPixels(data);
        int side = data.imageSize();
        float[] reconstructions;
        try (NDScope scope = new NDScope(); NoGrad off = NoGrad.enter()) {
            NDArray x = TokenizerJobs.pixels(model.manager(), originals, side);
            reconstructions = model.forward(x, null, Trace.NONE).toFloatArray();
        }
        TokenizerJobs.writePreview(dir, step, side, List.of(originals, reconstructions));
    }

    @Override
    public String dataPosition() {
        return loader.positionJson();
    }

    @Override
    public void restoreDataPosition(String json) {
        loader.restore(json);
    }

    @Override
    public void close() {
        loader.close();
        if (adversary != null) {
            adversary.close();
        }
        optimizer.close();
        ema.close();
        model.close();
    }
}
