package dev.titok.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import dev.titok.TitokException;
import dev.titok.config.QuantizeMode;
import dev.titok.config.TiTokConfig;
import dev.titok.data.Dataset;
import dev.titok.data.Loader;
import dev.titok.tensor.Ops;
import dev.titok.tensor.Trace;
import dev.titok.tokenizer.TiTok;
import dev.titok.vqgan.Vqgan;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * TiTok stage 1, the "warm-up" with proxy codes (SPEC §5.2): a stage-1 TiTok ({@code finetune_decoder} false, legacy
 * head with 1024 logits per decoder-grid cell) learns to predict the codes that a frozen MaskGIT-VQGAN teacher assigns
 * to each training image.
 *
 * <pre>
 *   loss = CE(logits (B, 1024, G·G), teacher codes (B, G·G)), mean over all B·G·G cells
 *        + quantizer_weight · (β·commitment + codebook)
 * </pre>
 * Everything of the TiTok trains (encoder, latent tokens, quantizer, decoder) with AdamW (official decay groups), the
 * warm-up + cosine schedule, global-norm clipping and an EMA of the weights, whose values the checkpoint's
 * {@code ema.safetensors} holds (a loadable stage-1 model file, like the official release).
 *
 * <p>Metrics per step: {@code loss}, {@code proxy_loss} (the cross-entropy), {@code quantizer_loss},
 * {@code commitment_loss}, {@code codebook_loss}, {@code proxy_accuracy} (argmax equals the teacher's code),
 * {@code codebook_usage} (distinct tokens of the batch / codebook size), {@code lr}, {@code grad_norm}.
 *
 * <p>The job owns its optimizer, EMA and data loader ({@link #close()}); the TiTok and the teacher stay the caller's.
 */
public final class Stage1Job implements TrainingJob, AutoCloseable {

    private final TiTok model;
    private final Vqgan teacher;
    private final Dataset data;
    private final TokenizerJobs.Settings settings;
    private final AdamW optimizer;
    private final Ema ema;
    private final LrSchedule schedule;
    private final TrainingState state;
    private final float[] previewPixels;
    private final ResumableLoader loader;

    /**
     * Readies {@code model} for training ({@link Trainable#prepare}), freezes {@code teacher} and starts the loader at
     * the beginning of the data.
     *
     * @param model    a vq stage-1 TiTok, loaded or freshly initialised
     * @param teacher  the MaskGIT-VQGAN whose codes are the targets: 1024 codes on the TiTok decoder's grid
     * @param data     training images of the TiTok's image size
     * @throws TitokException when the model is not a vq stage-1 model, or the teacher or the data do not fit it
     */
    public Stage1Job(TiTok model, Vqgan teacher, Dataset data, TokenizerJobs.Settings settings) {
        TiTokConfig config = model.config();
        if (config.finetuneDecoder() || !config.legacy() || config.quantizeMode() != QuantizeMode.VQ) {
            throw new TitokException(config.name() + ": stage 1 trains a vq model with finetune_decoder false and the "
                    + "legacy proxy-code head (is_legacy true)");
        }
        int grid = teacher.gridSize(config.imageSize());
        if (teacher.config().codebookSize() != TiTokConfig.PROXY_CODES || grid != config.decoderGrid()) {
            throw new TitokException("the MaskGIT-VQGAN teacher (" + teacher.config().codebookSize() + " codes on a "
                    + grid + "x" + grid + " grid) does not fit " + config.name() + ", which predicts "
                    + TiTokConfig.PROXY_CODES + " proxy codes on a " + config.decoderGrid() + "x" + config.decoderGrid()
                    + " grid for " + config.imageSize() + "-pixel images");
        }
        if (data.imageSize() != config.imageSize()) {
            throw new TitokException(data + " has " + data.imageSize() + "-pixel images but " + config.name()
                    + " takes " + config.imageSize());
        }
        this.model = model;
        this.teacher = teacher;
        this.data = data;
        this.settings = settings;
        Trainable.prepare(teacher, name -> false);
        this.optimizer = settings.optimizer(Trainable.prepare(model));
        this.ema = new Ema(model);
        this.schedule = settings.schedule();
        this.state = new TrainingState()
                .add("model", new ModuleWeights(model))
                .add("ema", ema)
                .add("optimizer", optimizer)
                .config("{\"job\": \"stage1\", \"model\": " + TrainingState.JSON.valueToTree(config.name())
                        + ", \"settings\": " + settings.json() + "}");
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
            NDArray x = TokenizerJobs.pixels(model.manager(), batch);                // (B, 3, S, S)
            NDArray codes;
            try (NoGrad off = NoGrad.enter()) {
                codes = teacher.encode(x);                                           // (B, G·G)
            }
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                TiTok.Encoded e = model.encode(x, null, Trace.NONE);
                NDArray logits = model.decode(e.zQuantized(), Trace.NONE)
                        .reshape(batch.size(), TiTokConfig.PROXY_CODES, -1);         // (B, 1024, G·G)
                NDArray targets = codes.oneHot(TiTokConfig.PROXY_CODES).transpose(0, 2, 1);
                NDArray proxy = logits.logSoftmax(1).mul(targets).sum(new int[] {1}).mean().neg();
                NDArray loss = proxy.add(Ops.mul(e.quantized().quantizerLoss(), (float) settings.quantizerWeight()));
                collector.backward(loss);
                metrics.put("loss", (double) loss.getFloat());
                metrics.put("proxy_loss", (double) proxy.getFloat());
                metrics.put("quantizer_loss", (double) e.quantized().quantizerLoss().getFloat());
                metrics.put("commitment_loss", (double) e.quantized().commitmentLoss().getFloat());
                metrics.put("codebook_loss", (double) e.quantized().codebookLoss().getFloat());
                metrics.put("proxy_accuracy", (double) logits.argMax(1).eq(codes).toType(DataType.FLOAT32, false)
                        .mean().getFloat());
                metrics.put("codebook_usage", TokenizerJobs.codebookUsage(e.tokens(), model.config().codebookSize()));
            }
        }
        double lr = schedule.lr(step);
        metrics.put("lr", lr);
        metrics.put("grad_norm", optimizer.clipStepAndZero(lr, settings.maxGradNorm()));
        ema.update();
        return metrics;
    }

    /**
     * Three rows with the EMA weights: the first images of the dataset, the teacher's own reconstruction of them (what
     * stage 1 can reach at best), and the teacher's decoding of the argmax of the TiTok logits.
     */
    @Override
    public void preview(long step, Path dir) {
        int size = model.config().imageSize();
        try (TiTok averaged = TiTok.load(model.config(), ema.saveState().tensors(), "EMA weights");
             NDScope scope = new NDScope();
             NoGrad off = NoGrad.enter()) {
            NDArray x = TokenizerJobs.pixels(averaged.manager(), previewPixels, size);
            NDArray teacherOwn = teacher.decode(teacher.encode(x));
            NDArray logits = averaged.decode(averaged.encode(x, null, Trace.NONE).zQuantized(), Trace.NONE);
            NDArray predicted = teacher.decodeProxyLogits(logits);
            TokenizerJobs.writePreview(dir, step, size,
                    List.of(previewPixels, teacherOwn.toFloatArray(), predicted.toFloatArray()));
        }
    }

    @Override
    public String dataPosition() {
        return loader.positionJson();
    }

    @Override
    public void restoreDataPosition(String json) {
        loader.restore(json);
    }

    /** Stops the loader and frees the optimizer and EMA state; the TiTok and the teacher stay open. */
    @Override
    public void close() {
        loader.close();
        optimizer.close();
        ema.close();
    }
}
