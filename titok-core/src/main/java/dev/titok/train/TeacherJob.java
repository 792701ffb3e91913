package dev.titok.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.titok.TitokException;
import dev.titok.config.VqganConfig;
import dev.titok.data.Dataset;
import dev.titok.data.Loader;
import dev.titok.nn.Model;
import dev.titok.tensor.Ops;
import dev.titok.vqgan.PixelDecoder;
import dev.titok.vqgan.PixelEncoder;
import dev.titok.vqgan.PixelQuantizer;
import dev.titok.vqgan.Vqgan;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Trains a MaskGIT-VQGAN (the proxy-code teacher of stage 1, SPEC §3) from scratch, for users without the official
 * weights. The official repository has no teacher recipe; this follows the MaskGIT-VQGAN module's own loss and the
 * stage-2 objective:
 * <pre>
 *   total = mean((x − x̂)²) + vq + adversary.generatorLoss(x̂)          (the GAN term is optional)
 *   vq    = mean((sg(z_q) − z)²) + β·mean((z_q − sg(z))²)             (β on the codebook term, SPEC §3.6)
 *   x̂     = decoder(z + sg(z_q − z))                                  (straight-through estimator)
 * </pre>
 * A perceptual term (ConvNeXt logits or LPIPS, SPEC §5.3) would be added to {@code total} in {@link #step}; none is
 * available offline, so there is none.
 *
 * <p>AdamW with the official grouping, warm-up + cosine, global-norm clipping and {@link Ema} as in §5.1; the
 * discriminator (if any) is updated after the generator, on the same reconstructions. {@link #trained()} gives the
 * EMA weights as a {@link Vqgan}, the model stage 1 consumes.
 */
public final class TeacherJob implements TrainingJob, AutoCloseable {

    /**
     * The recipe.
     *
     * @param model          sizes of the VQGAN to train
     * @param batchSize      images per step
     * @param lr             base learning rate
     * @param endLr          end of the cosine
     * @param warmupSteps    linear warm-up from 0
     * @param totalSteps     length of the cosine
     * @param beta1          AdamW β1
     * @param beta2          AdamW β2
     * @param weightDecay    of the decay group
     * @param maxGradNorm    global-norm clipping (0: none)
     * @param commitmentCost β of the VQGAN quantizer's loss (0.25)
     * @param seed           initial weights and data order
     * @param adversary      the GAN part, or null for none
     */
    public record Settings(VqganConfig model, int batchSize, double lr, double endLr, long warmupSteps,
                           long totalSteps, double beta1, double beta2, double weightDecay, double maxGradNorm,
                           double commitmentCost, long seed, Adversary.Settings adversary) {

        /** Stage-2 optimizer values (lr 1e-4 → 1e-5, betas 0.9/0.999, wd 1e-4, clip 1), β 0.25, no GAN. */
        public static Settings defaults(VqganConfig model, int batchSize, long totalSteps) {
            return new Settings(model, batchSize, 1e-4, 1e-5, Math.min(5_000, totalSteps / 10), totalSteps, 0.9,
                    0.999, 1e-4, 1.0, 0.25, 42, null);
        }
    }

    private final Settings settings;
    private final Dataset data;
    private final Network network;
    private final AdamW optimizer;
    private final LrSchedule schedule;
    private final Ema ema;
    private final Adversary adversary;
    private final TrainingState state;
    private final ResumableLoader loader;

    /**
     * A freshly initialised VQGAN over {@code data}, whose images must have the side of {@code model.resolution()}
     * or any multiple of the downsampling factor.
     */
    public TeacherJob(Settings settings, Dataset data, int loaderThreads) {
        if (data.imageSize() % settings.model().downsampleFactor() != 0) {
            throw new TitokException(data + ": images of side " + data.imageSize() + " do not divide into the VQGAN's "
                    + settings.model().downsampleFactor() + "-pixel code cells");
        }
        this.settings = settings;
        this.data = data;
        this.network = Network.random(settings.model(), settings.seed());
        this.optimizer = new AdamW(ParamGroups.official(Trainable.prepare(network), settings.weightDecay()),
                settings.beta1(), settings.beta2(), AdamW.DEFAULT_EPS);
        this.schedule = LrSchedule.cosine(settings.lr(), settings.endLr(), settings.warmupSteps(), settings.totalSteps());
        this.ema = new Ema(network);
        this.adversary = settings.adversary() == null ? null : new Adversary(settings.adversary());
        this.state = new TrainingState()
                .add("model", new ModuleWeights(network))
                .add("ema", ema)
                .add("optimizer", optimizer);
        if (adversary != null) {
            state.add("adversary", adversary);
        }
        this.loader = new ResumableLoader(start -> Loader.builder(data, settings.batchSize()).seed(settings.seed())
                .threads(loaderThreads).startAt(start).build());
    }

    @Override
    public TrainingState state() {
        return state;
    }

    /** The weights being trained, under the official VQGAN names. */
    public Model model() {
        return network;
    }

    /** The EMA weights as a stand-alone {@link Vqgan} (the caller closes it). */
    public Vqgan trained() {
        return Vqgan.load(settings.model(), ema.saveState().tensors(), "teacher EMA weights");
    }

    @Override
    public Map<String, Double> step(long step) {
        Loader.Batch batch = loader.next();
        Map<String, Double> metrics = new LinkedHashMap<>();
        try (NDScope scope = new NDScope()) {
            NDArray real = TokenizerJobs.pixels(network.manager(), batch);
            NDArray fake;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                Network.Output out = network.forward(real, settings.commitmentCost());
                NDArray rec = out.pixels().sub(real).square().mean();
                NDArray total = rec.add(out.vqLoss());
                if (adversary != null) {
                    NDArray gan = adversary.generatorLoss(out.pixels(), step);
                    total = total.add(gan);
                    metrics.put("gan", (double) gan.getFloat());
                }
                collector.backward(total);
                fake = out.pixels().stopGradient();
                metrics.put("loss", (double) total.getFloat());
                metrics.put("rec", (double) rec.getFloat());
                metrics.put("vq", (double) out.vqLoss().getFloat());
                metrics.put("codebook_usage", TokenizerJobs.codebookUsage(out.codes(), settings.model().codebookSize()));
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
            NDArray x = TokenizerJobs.pixels(network.manager(), originals, side);
            reconstructions = network.forward(x, settings.commitmentCost()).pixels().toFloatArray();
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
        network.close();
    }

    /**
     * The VQGAN as trained: the children of {@link Vqgan} under the same names ({@code encoder}, {@code decoder},
     * {@code quantize}), with a training forward pass that {@code Vqgan}'s inference API does not expose.
     */
    static final class Network extends Model {
        private final PixelEncoder encoder;
        private final PixelDecoder decoder;
        private final PixelQuantizer quantize;

        private Network(VqganConfig config) {
            this.encoder = child("encoder", new PixelEncoder(config));
            this.decoder = child("decoder", new PixelDecoder(config));
            this.quantize = child("quantize", new PixelQuantizer(config.codebookSize(), config.zChannels()));
        }

        static Network random(VqganConfig config, long seed) {
            Network n = new Network(config);
            n.initializeRandomly(seed);
            return n;
        }

        /** Reconstruction (B, 3, H, W), code ids (B, h·w) and the quantizer's loss. */
        record Output(NDArray pixels, NDArray codes, NDArray vqLoss) {}

        Output forward(NDArray pixels, double beta) {
            NDArray z = encoder.forward(pixels);                                        // (B, zc, h, w)
            Shape grid = z.getShape();
            NDArray codes = quantize.encode(z.stopGradient());                          // (B, h·w), argmin
            NDArray zq = quantize.lookup(codes.reshape(grid.get(0), grid.get(2), grid.get(3))); // (B, zc, h, w)
            NDArray commitment = zq.stopGradient().sub(z).square().mean();
            NDArray codebook = zq.sub(z.stopGradient()).square().mean();
            NDArray straightThrough = z.add(zq.sub(z).stopGradient());
            return new Output(decoder.forward(straightThrough), codes, commitment.add(Ops.mul(codebook, (float) beta)));
        }
    }
}
