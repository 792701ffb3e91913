package dev.titok.vqgan;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.titok.TitokException;
import dev.titok.config.VqganConfig;
import dev.titok.io.HostTensor;
import dev.titok.nn.Model;
import dev.titok.tensor.Ops;
import dev.titok.tensor.Tensors;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;

/**
 * MaskGIT-VQGAN (SPEC §3, the official {@code PretrainedTokenizer}): a convolutional VQ tokenizer with a 2-D grid of
 * codes. TiTok uses it as the proxy-code teacher of stage 1 and for decoding stage-1 predictions to pixels; its decoder
 * is also the pixel decoder of the stage-2 models.
 */
public final class Vqgan extends Model {

    private final VqganConfig config;
    private final PixelEncoder encoder;
    private final PixelDecoder decoder;
    private final PixelQuantizer quantize;

    public Vqgan(VqganConfig config) {
        this.config = config;
        this.encoder = child("encoder", new PixelEncoder(config));
        this.decoder = child("decoder", new PixelDecoder(config));
        this.quantize = child("quantize", new PixelQuantizer(config.codebookSize(), config.zChannels()));
    }

    /** Strictly loads a checkpoint ({@code maskgit-vqgan-imagenet-f16-256.bin} for the official one). */
    public static Vqgan load(VqganConfig config, Map<String, HostTensor> weights, String source) {
        Vqgan model = new Vqgan(config);
        model.loadWeights(weights, source, Set.of());
        return model;
    }

    /** Random weights, for training from scratch and benchmarks. */
    public static Vqgan random(VqganConfig config, long seed) {
        Vqgan model = new Vqgan(config);
        model.initializeRandomly(seed);
        return model;
    }

    public VqganConfig config() {
        return config;
    }

    /** Side of the code grid for {@code imageSize}-pixel inputs. */
    public int gridSize(int imageSize) {
        return imageSize / config.downsampleFactor();
    }

    // ---- NDArray level ----------------------------------------------------------------------------------------

    /** Pixels (B, 3, H, W) in [0, 1] → encoder features (B, z, h, w). */
    public NDArray encodeHidden(NDArray pixels) {
        return encoder.forward(pixels);
    }

    /** Pixels (B, 3, H, W) in [0, 1] → code ids (B, h·w), row-major over the grid. */
    public NDArray encode(NDArray pixels) {
        return quantize.encode(encoder.forward(pixels));
    }

    /** Codebook rows of code ids (B, h·w) or (B, h, w) → (B, z, h, w). */
    public NDArray quantized(NDArray codes) {
        return quantize.lookup(asGrid(codes));
    }

    /** Code ids (B, h·w) or (B, h, w) → pixels (B, 3, H, W), not clamped. */
    public NDArray decodeUnclamped(NDArray codes) {
        return decoder.forward(quantized(codes));
    }

    /** Code ids → pixels clamped to [0, 1], as the official {@code decode}. */
    public NDArray decode(NDArray codes) {
        return decodeUnclamped(codes).clip(0, 1);
    }

    /**
     * Pixels from a TiTok stage-1 prediction (SPEC §1.8): the most likely proxy code per grid cell of the
     * (B, N, h, w) logits, decoded and clamped like {@link #decode}.
     */
    public NDArray decodeProxyLogits(NDArray logits) {
        return decode(logits.argMax(1));
    }

    // ---- Java-array level -------------------------------------------------------------------------------------

    /** Code ids of a batch of (3, H, W) images in [0, 1], one row of h·w ids per image. */
    public long[][] encode(float[][] images, int imageSize) {
        try (NDScope scope = new NDScope()) {
            JniUtils.setGradMode(false);
            int per = 3 * imageSize * imageSize;
            float[] flat = new float[images.length * per];
            for (int i = 0; i < images.length; i++) {
                if (images[i].length != per) {
                    throw new TitokException("image " + i + " has " + images[i].length + " values: expected 3x" + imageSize
                            + "x" + imageSize);
                }
                System.arraycopy(images[i], 0, flat, i * per, per);
            }
            long[] codes = encode(Tensors.of(manager(), flat, new Shape(images.length, 3, imageSize, imageSize))).toLongArray();
            int n = codes.length / images.length;
            long[][] out = new long[images.length][];
            for (int i = 0; i < images.length; i++) {
                out[i] = Arrays.copyOfRange(codes, i * n, (i + 1) * n);
            }
            return out;
        }
    }

    /** Images (3, H, W) clamped to [0, 1] from rows of h·w code ids. */
    public float[][] decode(long[][] codes) {
        try (NDScope scope = new NDScope()) {
            JniUtils.setGradMode(false);
            int n = codes[0].length;
            long[] flat = new long[codes.length * n];
            for (int i = 0; i < codes.length; i++) {
                if (codes[i].length != n) {
                    throw new TitokException("code list " + i + " has " + codes[i].length + " ids, expected " + n + " like list 0");
                }
                System.arraycopy(codes[i], 0, flat, i * n, n);
            }
            float[] pixels = decode(Tensors.of(manager(), flat, new Shape(codes.length, n))).toFloatArray();
            int per = pixels.length / codes.length;
            float[][] out = new float[codes.length][];
            for (int i = 0; i < codes.length; i++) {
                out[i] = Arrays.copyOfRange(pixels, i * per, (i + 1) * per);
            }
            return out;
        }
    }

    /** (B, h·w) → (B, h, w) for a square grid; checks the ids against the codebook. */
    private NDArray asGrid(NDArray codes) {
        Shape shape = codes.getShape();
        Ops.requireIds(codes, config.codebookSize(), "code id");
        if (shape.dimension() == 3) {
            return codes;
        }
        long side = Math.round(Math.sqrt(shape.get(1)));
        if (shape.dimension() != 2 || side * side != shape.get(1)) {
            throw new TitokException("code ids of shape " + shape + ": expected (B, h*w) for a square grid or (B, h, w)");
        }
        return codes.reshape(shape.get(0), side, side);
    }
}
