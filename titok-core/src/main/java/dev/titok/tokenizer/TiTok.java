package dev.titok.tokenizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.titok.TitokException;
import dev.titok.config.QuantizeMode;
import dev.titok.config.TiTokConfig;
import dev.titok.io.HostTensor;
import dev.titok.kernels.Kernels;
import dev.titok.nn.Init;
import dev.titok.nn.Model;
import dev.titok.nn.Parameter;
import dev.titok.tensor.Ops;
import dev.titok.tensor.RandomSource;
import dev.titok.tensor.Tensors;
import dev.titok.tensor.Trace;
import dev.titok.vqgan.PixelDecoder;
import dev.titok.vqgan.PixelQuantizer;
import dev.titok.vqgan.Vqgan;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * The TiTok 1D tokenizer (SPEC §1.8): encoder → vector quantizer (or Gaussian posterior) → decoder, and for stage-2
 * models the soft MaskGIT-VQGAN codebook mixture and pixel decoder. Parameter names are the official state-dict keys.
 *
 * <p>Two levels of API: {@link #encode}/{@link #decode}/{@link #decodeTokens} on NDArrays (for training and
 * pipelines that manage their own memory), and {@link #tokenize}/{@link #detokenize}/{@link #reconstruct} on plain
 * Java arrays, each call in its own native-memory scope with gradients off.
 */
public final class TiTok extends Model {

    private final TiTokConfig config;
    private final Parameter latentTokens;
    private final TiTokEncoder encoder;
    private final TiTokDecoder decoder;
    private final VectorQuantizer quantize;
    private final PixelQuantizer pixelQuantize;
    private final PixelDecoder pixelDecoder;
    private Vqgan proxyDecoder;

    /** Builds the module tree; give it values with {@link #load} or {@link #initialize}. */
    public TiTok(TiTokConfig config) {
        this.config = config;
        int width = config.encoder().width();
        this.latentTokens = parameter("latent_tokens", new Init.ScaledNormal(Math.pow(width, -0.5)),
                config.numLatentTokens(), width);
        this.encoder = child("encoder", new TiTokEncoder(config));
        this.decoder = child("decoder", new TiTokDecoder(config));
        this.quantize = config.quantizeMode() == QuantizeMode.VQ
                ? child("quantize", new VectorQuantizer(config.codebookSize(), config.tokenSize(), config.useL2Norm(),
                        config.commitmentCost()))
                : null;
        if (config.finetuneDecoder()) {
            this.pixelQuantize = child("pixel_quantize",
                    new PixelQuantizer(config.pixel().codebookSize(), config.pixel().zChannels()));
            this.pixelDecoder = child("pixel_decoder", new PixelDecoder(config.pixel()));
        } else {
            this.pixelQuantize = null;
            this.pixelDecoder = null;
        }
    }

    /** A model whose parameters come from a checkpoint (strict: every key must match the config). */
    public static TiTok load(TiTokConfig config, Map<String, HostTensor> weights, String source) {
        TiTok model = new TiTok(config);
        model.loadWeights(weights, source, Set.of());
        return model;
    }

    /** A model with the official from-scratch initialisation (SPEC §1.9), for training and benchmarks. */
    public static TiTok random(TiTokConfig config, long seed) {
        TiTok model = new TiTok(config);
        model.initializeRandomly(seed);
        return model;
    }

    /**
     * Lets a stage-1 model produce pixels in {@link #detokenize} and {@link #reconstruct}: its proxy-code logits are
     * decoded by the MaskGIT-VQGAN it was trained against (argmax per cell, SPEC §1.8). The TiTok closes it with itself.
     */
    public TiTok withProxyDecoder(Vqgan vqgan) {
        if (pixelDecoder != null || !config.legacy()) {
            throw new TitokException(config.name() + " decodes to pixels itself; a MaskGIT-VQGAN is only for stage-1 models");
        }
        int grid = config.decoderGrid();
        if (vqgan.config().codebookSize() != TiTokConfig.PROXY_CODES || grid * vqgan.config().downsampleFactor() != config.imageSize()) {
            throw new TitokException("the MaskGIT-VQGAN (" + vqgan.config().codebookSize() + " codes, x"
                    + vqgan.config().downsampleFactor() + " upsampling) does not fit " + config.name() + ": it predicts "
                    + TiTokConfig.PROXY_CODES + " proxy codes on a " + grid + "x" + grid + " grid for "
                    + config.imageSize() + "-pixel images");
        }
        this.proxyDecoder = vqgan;
        vqgan.useKernels(kernels());
        return this;
    }

    /** Also converts an attached proxy decoder's weights. */
    @Override
    public void convertKernelWeights() {
        super.convertKernelWeights();
        if (proxyDecoder != null) {
            proxyDecoder.convertKernelWeights();
        }
    }

    /** Also switches an attached proxy decoder. */
    @Override
    public void useKernels(Kernels kernels) {
        super.useKernels(kernels);
        if (proxyDecoder != null) {
            proxyDecoder.useKernels(kernels);
        }
    }

    public TiTokConfig config() {
        return config;
    }

    /** The vector quantizer, or null for a vae model. */
    public VectorQuantizer quantizer() {
        return quantize;
    }

    // ---- NDArray level ------------------------------------------------------------------------------------

    /** What {@link #encode} returns: the raw encoder output and the tokens derived from it. */
    public record Encoded(NDArray z, NDArray zQuantized, NDArray tokens, GaussianPosterior posterior,
                          VectorQuantizer.Quantized quantized) {}

    /**
     * Pixels (B, 3, H, W) in [0, 1] → for vq: straight-through z_q (B, C, 1, K) and ids (B, 1, K); for vae: a sample
     * of the posterior (drawn from {@code random}, as the official encode does) and the posterior itself.
     */
    public Encoded encode(NDArray pixels, RandomSource random, Trace trace) {
        checkPixels(pixels.getShape());
        NDArray z = encoder.forward(pixels, latentTokens.value(), trace);
        if (quantize != null) {
            VectorQuantizer.Quantized q = quantize.forward(z);
            return new Encoded(z, q.zQuantized(), q.tokens(), null, q);
        }
        GaussianPosterior posterior = new GaussianPosterior(z);
        return new Encoded(z, posterior.sample(random), null, posterior, null);
    }

    /** The Gaussian posterior over continuous tokens of a vae model, without sampling. */
    public GaussianPosterior posterior(NDArray pixels) {
        requireMode(QuantizeMode.VAE, "posterior");
        checkPixels(pixels.getShape());
        return new GaussianPosterior(encoder.forward(pixels, latentTokens.value(), Trace.NONE));
    }

    /**
     * Tokens (B, C, 1, K) → the decoder output: RGB (B, 3, H, W) for stage-2 and pixel-head models, or (B, 1024, G, G)
     * proxy-code logits for a legacy stage-1 model. Never clamped.
     */
    public NDArray decode(NDArray zQuantized, Trace trace) {
        NDArray decoded = decoder.forward(zQuantized, trace);
        if (pixelDecoder == null) {
            return decoded;
        }
        NDArray mixed = pixelQuantize.mix(decoded.softmax(1));                       // (B, z, G, G)
        trace.record("pixel_quantized_states", mixed);
        return pixelDecoder.forward(mixed);
    }

    /** Token ids (B, K) or (B, 1, K) (vq), or continuous tokens (B, C, 1, K) (vae) → {@link #decode}. */
    public NDArray decodeTokens(NDArray tokens, Trace trace) {
        if (quantize == null) {
            return decode(tokens, trace);
        }
        NDArray ids = checkTokenIds(tokens);                                          // (B, K)
        NDArray rows = quantize.codebookEntry(ids);                                   // (B, K, C)
        NDArray z = rows.transpose(0, 2, 1).expandDims(2);                            // (B, C, 1, K)
        return decode(z, trace);
    }

    /** {@code decode(encode(x).zQuantized)}, the official {@code forward}. */
    public NDArray forward(NDArray pixels, RandomSource random, Trace trace) {
        return decode(encode(pixels, random, trace).zQuantized(), trace);
    }

    // ---- Java-array level -----------------------------------------------------------------------------------

    /**
     * Images per forward pass of the array-level calls at 256 pixels, which split larger batches: peak memory stays
     * bounded (eight 256-pixel images already make 268 MB per pixel-decoder activation) and CPU throughput is flat
     * beyond it. Smaller images take proportionally more per pass ({@link #maxBatch()}), since activation memory grows
     * with B·H·W and tiny passes are dominated by per-operation overhead.
     */
    public static final int MAX_BATCH = 8;
    private static final int MAX_BATCH_PIXELS = MAX_BATCH * 256 * 256;

    /** Images per forward pass of the array-level calls for this model's image size: 8 at 256 pixels, 512 at 32. */
    public int maxBatch() {
        int side = config.imageSize();
        return Math.max(1, Math.min(512, MAX_BATCH_PIXELS / (side * side)));
    }

    /** Token ids of a batch of images, each (3, H, W) row-major in [0, 1]. Only for vq models. */
    public long[][] tokenize(float[][] images) {
        requireMode(QuantizeMode.VQ, "tokenize");
        return inChunks(checkImages(images), long[][]::new,
                chunk -> split(encode(pixels(chunk), null, Trace.NONE).tokens().toLongArray(), chunk.length));
    }

    /**
     * The posterior means of a batch of images for vae models, as [image][token][channel]: the deterministic
     * continuous tokens.
     */
    public float[][][] latentMeans(float[][] images) {
        requireMode(QuantizeMode.VAE, "latentMeans");
        int k = config.numLatentTokens();
        int c = config.tokenSize();
        return inChunks(checkImages(images), float[][][]::new, chunk -> {
            float[] flat = posterior(pixels(chunk)).mean().squeeze(2).transpose(0, 2, 1).toFloatArray(); // (B, K, C)
            float[][][] out = new float[chunk.length][k][c];
            for (int i = 0; i < chunk.length; i++) {
                for (int t = 0; t < k; t++) {
                    System.arraycopy(flat, (i * k + t) * c, out[i][t], 0, c);
                }
            }
            return out;
        });
    }

    /**
     * Frozen encoder features of a batch of images, each (3, H, W) row-major in [0, 1]: one vector per image, the input
     * of a linear probe. Its length is the encoder width ({@link EncoderFeatures#ENCODER}) or the token size
     * ({@link EncoderFeatures#Z}) when pooled by {@link EncoderFeatures.Pooling#MEAN}, K times that when concatenated
     * (token after token). The ln_post output is taken from the encoder's trace rather than recomputed, so it is exactly
     * the tensor the quantizer path starts from. Deterministic for vae models too (the posterior mean).
     */
    public float[][] encoderFeatures(float[][] images, EncoderFeatures which, EncoderFeatures.Pooling pooling) {
        return inChunks(checkImages(images), float[][]::new, chunk -> {
            NDArray[] lnPost = new NDArray[1];
            NDArray z = encoder.forward(pixels(chunk), latentTokens.value(), (name, value) -> {
                if (name.equals("encoder.ln_post")) {
                    lnPost[0] = value;
                }
            });
            NDArray tokens = switch (which) {                                               // (B, K, D)
                case ENCODER -> lnPost[0];
                case Z -> (quantize != null ? z : new GaussianPosterior(z).mean()).squeeze(2).transpose(0, 2, 1);
            };
            NDArray pooled = pooling == EncoderFeatures.Pooling.MEAN
                    ? tokens.mean(new int[] {1})
                    : tokens.reshape(chunk.length, -1);
            return rows(pooled, chunk.length);
        });
    }

    /** Images (3, H, W) in nominal [0, 1] (unclamped) decoded from token ids, one row per image. */
    public float[][] detokenize(long[][] tokens) {
        requireMode(QuantizeMode.VQ, "detokenize");
        requirePixelOutput();
        int k = config.numLatentTokens();
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i].length != k) {
                throw new TitokException("token list " + i + " has " + tokens[i].length + " ids: expected " + k
                        + " for this model");
            }
        }
        return inChunks(tokens, float[][]::new, chunk -> {
            long[] flat = new long[chunk.length * k];
            for (int i = 0; i < chunk.length; i++) {
                System.arraycopy(chunk[i], 0, flat, i * k, k);
            }
            NDArray ids = Tensors.of(manager(), flat, new Shape(chunk.length, k));
            return rows(toPixels(decodeTokens(ids, Trace.NONE)), chunk.length);
        });
    }

    /** Images decoded from continuous tokens of a vae model, given as [image][token][channel] like {@link #latentMeans}. */
    public float[][] decodeLatents(float[][][] latents) {
        requireMode(QuantizeMode.VAE, "decodeLatents");
        int k = config.numLatentTokens();
        int c = config.tokenSize();
        for (int i = 0; i < latents.length; i++) {
            if (latents[i].length != k || Arrays.stream(latents[i]).anyMatch(token -> token.length != c)) {
                throw new TitokException("latents " + i + ": expected " + k + " tokens of " + c + " values for this model");
            }
        }
        return inChunks(latents, float[][]::new, chunk -> {
            float[] flat = new float[chunk.length * k * c];
            for (int i = 0; i < chunk.length; i++) {
                for (int t = 0; t < k; t++) {
                    System.arraycopy(chunk[i][t], 0, flat, (i * k + t) * c, c);
                }
            }
            NDArray z = Tensors.of(manager(), flat, new Shape(chunk.length, k, c)).transpose(0, 2, 1).expandDims(2); // (B, C, 1, K)
            return rows(decode(z, Trace.NONE), chunk.length);
        });
    }

    /** Encode then decode (vae models decode the posterior mean), one (3, H, W) row per image. */
    public float[][] reconstruct(float[][] images) {
        requirePixelOutput();
        return inChunks(checkImages(images), float[][]::new, chunk -> {
            NDArray x = pixels(chunk);
            NDArray z = quantize != null ? encode(x, null, Trace.NONE).zQuantized() : posterior(x).mode();
            return rows(toPixels(decode(z, Trace.NONE)), chunk.length);
        });
    }

    /** Applies {@code step} to chunks of at most {@link #maxBatch()} inputs, each in its own scope with gradients off. */
    private <I, O> O[] inChunks(I[] inputs, IntFunction<O[]> newArray, Function<I[], O[]> step) {
        O[] out = newArray.apply(inputs.length);
        int batch = maxBatch();
        for (int start = 0; start < inputs.length; start += batch) {
            I[] chunk = Arrays.copyOfRange(inputs, start, Math.min(inputs.length, start + batch));
            try (NDScope scope = new NDScope()) {
                JniUtils.setGradMode(false);
                System.arraycopy(step.apply(chunk), 0, out, start, chunk.length);
            }
        }
        return out;
    }

    /** True when the array-level calls give pixels: stage-2 and pixel-head models, or stage-1 with a proxy decoder. */
    public boolean decodesToPixels() {
        return pixelDecoder != null || !config.legacy() || proxyDecoder != null;
    }

    /** The decoder output as pixels: stage-1 logits go through the attached MaskGIT-VQGAN. */
    private NDArray toPixels(NDArray decoded) {
        return pixelDecoder == null && config.legacy() ? proxyDecoder.decodeProxyLogits(decoded) : decoded;
    }

    @Override
    public void close() {
        if (proxyDecoder != null) {
            proxyDecoder.close();
        }
        super.close();
    }

    // ---- checks and conversions ---------------------------------------------------------------------------------

    /** Every image must be (3, size, size): checked for the whole batch before any chunk runs. */
    private float[][] checkImages(float[][] images) {
        int size = config.imageSize();
        for (int i = 0; i < images.length; i++) {
            if (images[i].length != 3 * size * size) {
                throw new TitokException("image " + i + " has " + images[i].length + " values: expected 3x" + size + "x"
                        + size + " = " + 3 * size * size + " for this model");
            }
        }
        return images;
    }

    private NDArray pixels(float[][] images) {
        int size = config.imageSize();
        int per = 3 * size * size;
        float[] flat = new float[images.length * per];
        for (int i = 0; i < images.length; i++) {
            System.arraycopy(images[i], 0, flat, i * per, per);
        }
        return Tensors.of(manager(), flat, new Shape(images.length, 3, size, size));
    }

    private void checkPixels(Shape shape) {
        int size = config.imageSize();
        if (shape.dimension() != 4 || shape.get(1) != 3 || shape.get(2) != size || shape.get(3) != size) {
            throw new TitokException("pixels of shape " + shape + ": expected (B, 3, " + size + ", " + size + ") for this model");
        }
    }

    private NDArray checkTokenIds(NDArray tokens) {
        Shape shape = tokens.getShape();
        NDArray ids = shape.dimension() == 3 && shape.get(1) == 1 ? tokens.squeeze(1) : tokens;
        int k = config.numLatentTokens();
        if (ids.getShape().dimension() != 2 || ids.getShape().get(1) != k) {
            throw new TitokException("token ids of shape " + shape + ": expected (B, " + k + ") or (B, 1, " + k + ")");
        }
        Ops.requireIds(ids, config.codebookSize(), "token id");
        return ids;
    }

    private void requireMode(QuantizeMode mode, String what) {
        if (config.quantizeMode() != mode) {
            throw new TitokException(config.name() + ": " + what + " needs a " + mode.name().toLowerCase()
                    + " model, but this one is " + config.quantizeMode().name().toLowerCase());
        }
    }

    private void requirePixelOutput() {
        if (!decodesToPixels()) {
            throw new TitokException(config.name() + " is a stage-1 model: its decoder predicts MaskGIT-VQGAN proxy codes,"
                    + " not pixels (pass the MaskGIT-VQGAN with --vqgan, or use the tensor mode to get the logits)");
        }
    }

    private static long[][] split(long[] flat, int rows) {
        int per = flat.length / rows;
        long[][] out = new long[rows][per];
        for (int i = 0; i < rows; i++) {
            System.arraycopy(flat, i * per, out[i], 0, per);
        }
        return out;
    }

    private static float[][] rows(NDArray batch, int rows) {
        float[] flat = batch.toFloatArray();
        int per = flat.length / rows;
        float[][] out = new float[rows][per];
        for (int i = 0; i < rows; i++) {
            System.arraycopy(flat, i * per, out[i], 0, per);
        }
        return out;
    }
}
