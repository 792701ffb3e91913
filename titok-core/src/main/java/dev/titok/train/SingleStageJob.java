package dev.titok.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import dev.titok.TitokException;
import dev.titok.config.QuantizeMode;
import dev.titok.config.TiTokConfig;
import dev.titok.data.Dataset;
import dev.titok.data.Loader;
import dev.titok.tensor.Ops;
import dev.titok.tensor.RandomSource;
import dev.titok.tensor.Seeded;
import dev.titok.tensor.Trace;
import dev.titok.tokenizer.TiTok;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Single-stage TiTok training on pixels, as the official {@code ReconstructionLoss_Single_Stage} (SPEC §2.4): a TiTok
 * with the RGB head ({@code is_legacy} false, {@code finetune_decoder} false), vq or vae, learns to reconstruct its
 * input directly.
 *
 * <pre>
 *   vq:   loss = mean((x − x̂)²) + quantizer_weight · (β·commitment + codebook)
 *   vae:  loss = mean((x − x̂)²) + kl_weight · Σ_b Σ_k KL / B
 *         (+ generator_weight · f(step) · −mean(D(x̂)) with an {@link Adversary})
 * </pre>
 * The official vae term divides the reconstruction by {@code exp(logvar)} with a fixed logvar of 0, a no-op left out.
 * There is no perceptual loss: the official ConvNeXt-S / LPIPS weights are not available offline. The optional GAN is
 * the official stage-2 one ({@link Adversary}: hinge loss, LeCam, its own optimizer, from a start step); the
 * discriminator is updated right after the tokenizer, on the same reconstructions.
 *
 * <p>Optimizer, schedule, clipping and EMA as in {@link Stage1Job}. Metrics per step: {@code loss},
 * {@code reconstruction_loss}, {@code quantizer_loss} (vq) or {@code kl_loss} (the unweighted KL term, vae),
 * {@code gan_loss} and the discriminator's {@code d_*} metrics once the GAN has started, {@code psnr} of the batch
 * (reconstructions clamped to [0, 1]), {@code codebook_usage} (vq), {@code lr}, {@code grad_norm}.
 *
 * <p>The job owns its optimizer, EMA, adversary and data loader ({@link #close()}); the TiTok stays the caller's.
 */
public final class SingleStageJob implements TrainingJob, AutoCloseable {

    private static final String CODEBOOK = "quantize.embedding.weight";

    private final TiTok model;
    private final Dataset data;
    private final TokenizerJobs.Settings settings;
    private final Adversary adversary;
    private final AdamW optimizer;
    private final Ema ema;
    private final Seeded noise;
    private final LrSchedule schedule;
    private final TrainingState state;
    private final float[] previewPixels;
    private final ResumableLoader loader;
    private final DeadCodeRestart deadCodes;

    /** Without a GAN. */
    public SingleStageJob(TiTok model, Dataset data, TokenizerJobs.Settings settings) {
        this(model, data, settings, null);
    }

    /**
     * Readies {@code model} for training ({@link Trainable#prepare}) and starts the loader at the beginning of the data.
     *
     * @param model    a TiTok with the RGB head, loaded or freshly initialised
     * @param data     training images of the TiTok's image size
     * @param gan      the adversarial part (its discriminator is created here and checkpointed with the job), or null
     *                 for none
     * @throws TitokException when the model has no RGB head or the data do not fit it
     */
    public SingleStageJob(TiTok model, Dataset data, TokenizerJobs.Settings settings, Adversary.Settings gan) {
        TiTokConfig config = model.config();
        if (config.finetuneDecoder() || config.legacy()) {
            throw new TitokException(config.name() + ": single-stage training needs the RGB head (is_legacy false, "
                    + "finetune_decoder false)");
        }
        if (data.imageSize() != config.imageSize()) {
            throw new TitokException(data + " has " + data.imageSize() + "-pixel images but " + config.name()
                    + " takes " + config.imageSize());
        }
        this.model = model;
        this.data = data;
        this.settings = settings;
        this.optimizer = settings.optimizer(Trainable.prepare(model));
        this.ema = new Ema(model);
        this.noise = RandomSource.seeded(settings.seed());
        this.schedule = settings.schedule();
        this.adversary = gan == null ? null : new Adversary(gan);
        this.state = new TrainingState()
                .add("model", new ModuleWeights(model))
                .add("ema", ema)
                .add("optimizer", optimizer)
                .random("noise", noise)
                .config("{\"job\": \"single\", \"model\": " + TrainingState.JSON.valueToTree(config.name())
                        + ", \"settings\": " + settings.json() + ", \"gan\": "
                        + (gan == null ? "null" : TrainingState.JSON.valueToTree(gan)) + "}");
        if (adversary != null) {
            state.add("adversary", adversary);
        }
        this.deadCodes = settings.deadCodeRestartEvery() > 0 && config.quantizeMode() == QuantizeMode.VQ
                ? new DeadCodeRestart(config.codebookSize(), settings.deadCodeRestartEvery()) : null;
        if (deadCodes != null) {
            state.add("dead_codes", deadCodes);
        }
        this.previewPixels = TokenizerJobs.previewPixels(data);
        this.loader = new ResumableLoader(start -> TokenizerJobs.loader(data, settings, start));
    }

    @Override
    public TrainingState state() {
        return state;
    }

    @Override
    public Map<String, Double> step(long step) {
        Loader.Batch batch = loader.next();
        Map<String, Double> metrics = new LinkedHashMap<>();
        try (NDScope scope = new NDScope()) {
            NDArray x = TokenizerJobs.pixels(model.manager(), batch);                 // (B, 3, S, S)
            NDArray fake;
            TiTok.Encoded e;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                e = model.encode(x, noise, Trace.NONE);
                NDArray reconstruction = model.decode(e.zQuantized(), Trace.NONE);    // (B, 3, S, S)
                NDArray rec = reconstruction.sub(x).square().mean();
                NDArray loss = rec;
                if (e.quantized() != null) {
                    NDArray q = e.quantized().quantizerLoss();
                    loss = loss.add(Ops.mul(q, (float) settings.quantizerWeight()));
                    metrics.put("quantizer_loss", (double) q.getFloat());
                } else {
                    NDArray kl = Ops.div(e.posterior().kl().sum(), (float) batch.size());
                    loss = loss.add(Ops.mul(kl, (float) settings.klWeight()));
                    metrics.put("kl_loss", (double) kl.getFloat());
                }
                if (adversary != null && adversary.active(step)) {
                    NDArray gan = adversary.generatorLoss(reconstruction, step);
                    loss = loss.add(gan);
                    metrics.put("gan_loss", (double) gan.getFloat());
                }
                collector.backward(loss);
                metrics.put("loss", (double) loss.getFloat());
                metrics.put("reconstruction_loss", (double) rec.getFloat());
                metrics.put("psnr", TokenizerJobs.psnr(reconstruction, x));
                if (e.tokens() != null) {
                    metrics.put("codebook_usage", TokenizerJobs.codebookUsage(e.tokens(), model.config().codebookSize()));
                }
                fake = reconstruction.stopGradient();
            }
            double lr = schedule.lr(step);
            metrics.put("lr", lr);
            metrics.put("grad_norm", optimizer.clipStepAndZero(lr, settings.maxGradNorm()));
            if (deadCodes != null) {
                metrics.put("codes_restarted", (double) deadCodes.update(step, e.tokens(), e.z(),
                        model.namedParameters().get(CODEBOOK).value(), noise));
            }
            ema.update();
            if (adversary != null) {
                metrics.putAll(adversary.discriminatorStep(x, fake, step));
            }
        }
        return metrics;
    }

    /**
     * Two rows: the first images of the dataset and their reconstructions by the EMA weights (vae models decode the
     * posterior mean).
     */
    @Override
    public void preview(long step, Path dir) {
        int size = model.config().imageSize();
        int per = 3 * size * size;
        float[][] images = new float[previewPixels.length / per][];
        for (int i = 0; i < images.length; i++) {
            images[i] = Arrays.copyOfRange(previewPixels, i * per, (i + 1) * per);
        }
        float[] reconstructed = new float[previewPixels.length];
        try (TiTok averaged = TiTok.load(model.config(), ema.saveState().tensors(), "EMA weights")) {
            float[][] rows = averaged.reconstruct(images);
            for (int i = 0; i < rows.length; i++) {
                System.arraycopy(rows[i], 0, reconstructed, i * per, per);
            }
        }
        TokenizerJobs.writePreview(dir, step, size, List.of(previewPixels, reconstructed));
    }

    @Override
    public String dataPosition() {
        return loader.positionJson();
    }

    @Override
    public void restoreDataPosition(String json) {
        loader.restore(json);
    }

    /** Stops the loader and frees the optimizer, EMA and adversary; the TiTok stays open. */
    @Override
    public void close() {
        loader.close();
        optimizer.close();
        ema.close();
        if (adversary != null) {
            adversary.close();
        }
    }
}
