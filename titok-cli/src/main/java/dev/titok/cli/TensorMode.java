package dev.titok.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.titok.TitokException;
import dev.titok.config.QuantizeMode;
import dev.titok.config.TiTokConfig;
import dev.titok.io.DType;
import dev.titok.io.HostTensor;
import dev.titok.io.Npy;
import dev.titok.io.SafeTensors;
import dev.titok.tensor.Tensors;
import dev.titok.tensor.Trace;
import dev.titok.tokenizer.TiTok;
import dev.titok.vqgan.Vqgan;
import dev.titok.vqgan.VqganModels;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * Array in, array out, for Python interop and exact checks against the official code: the raw model outputs,
 * not clamped, not rounded. Works batch by batch so that large inputs fit in memory.
 */
final class TensorMode {

    private TensorMode() {}

    /** (B, 3, H, W) pixels → {@code tokens} (B, 1, K) int64, or {@code latents} (B, C, 1, K) posterior means. */
    static void tokenize(TiTok titok, TensorOptions options, int batchSize) {
        HostTensor input = read(options);
        float[] pixels = checkPixels(titok.config(), input, options);
        Map<String, HostTensor> out = new LinkedHashMap<>();
        if (titok.config().quantizeMode() == QuantizeMode.VQ) {
            out.put("tokens", run(titok, pixels, input.shape(), batchSize, x -> titok.encode(x, null, Trace.NONE).tokens()));
        } else {
            out.put("latents", run(titok, pixels, input.shape(), batchSize, x -> titok.posterior(x).mean()));
        }
        write(options.output, out, titok);
    }

    /** Token ids (B, K) or (B, 1, K), or vae latents (B, C, 1, K) → {@code decoded}, the raw decoder output. */
    static void detokenize(TiTok titok, TensorOptions options, int batchSize) {
        HostTensor input = read(options);
        Map<String, HostTensor> out = new LinkedHashMap<>();
        if (titok.config().quantizeMode() == QuantizeMode.VQ) {
            if (input.dtype().isFloatingPoint()) {
                throw new TitokException(options.input + ": tensor of type " + input.dtype()
                        + ": expected integer token ids (int64 or int32) of shape (B, K) or (B, 1, K)");
            }
            long[] ids = input.toLongs();
            out.put("decoded", runIds(titok, ids, input.shape(), batchSize));
        } else {
            float[] latents = input.toFloats();
            out.put("decoded", run(titok, latents, input.shape(), batchSize, z -> titok.decodeTokens(z, Trace.NONE)));
        }
        write(options.output, out, titok);
    }

    /** (B, 3, H, W) pixels → {@code tokens} (vq) and {@code decoded} = forward output (vae: decoded posterior mean). */
    static void reconstruct(TiTok titok, TensorOptions options, int batchSize) {
        HostTensor input = read(options);
        float[] pixels = checkPixels(titok.config(), input, options);
        Map<String, HostTensor> out = new LinkedHashMap<>();
        if (titok.config().quantizeMode() == QuantizeMode.VQ) {
            out.put("tokens", run(titok, pixels, input.shape(), batchSize, x -> titok.encode(x, null, Trace.NONE).tokens()));
            out.put("decoded", run(titok, pixels, input.shape(), batchSize, x -> titok.forward(x, null, Trace.NONE)));
        } else {
            out.put("decoded", run(titok, pixels, input.shape(), batchSize,
                    x -> titok.decode(titok.posterior(x).mode(), Trace.NONE)));
        }
        write(options.output, out, titok);
    }

    /** Applies {@code step} to consecutive row batches of a float input and stacks the results. */
    private static HostTensor run(TiTok titok, float[] values, long[] shape, int batchSize, Function<NDArray, NDArray> step) {
        int per = shape[0] == 0 ? 0 : (int) (values.length / shape[0]);
        return batched(shape, batchSize, (start, batchShape) -> step.apply(Tensors.of(titok.manager(), 
                Arrays.copyOfRange(values, start * per, (int) (start + batchShape.get(0)) * per), batchShape)));
    }

    private static HostTensor runIds(TiTok titok, long[] ids, long[] shape, int batchSize) {
        int per = shape[0] == 0 ? 0 : (int) (ids.length / shape[0]);
        return batched(shape, batchSize, (start, batchShape) -> titok.decodeTokens(Tensors.of(titok.manager(), 
                Arrays.copyOfRange(ids, start * per, (int) (start + batchShape.get(0)) * per), batchShape), Trace.NONE));
    }

    /** One batch: rows [start, start + batchShape[0]) of the input. */
    private interface BatchStep {
        NDArray apply(int start, Shape batchShape);
    }

    /** Runs {@code step} on consecutive batches, each in its own native-memory scope, and stacks the results. */
    private static HostTensor batched(long[] shape, int batchSize, BatchStep step) {
        Batches.checkSize(batchSize);
        JniUtils.setGradMode(false);
        int rows = (int) shape[0];
        Collector collector = new Collector();
        for (int start = 0; start < rows; start += batchSize) {
            long[] batchShape = shape.clone();
            batchShape[0] = Math.min(batchSize, rows - start);
            try (NDScope scope = new NDScope()) {
                collector.add(step.apply(start, new Shape(batchShape)));
            }
        }
        return collector.result(rows);
    }

    /** Gathers per-batch outputs on the heap (float32 or int64) and concatenates them along the batch axis. */
    private static final class Collector {
        private long[] rowShape = new long[0];
        private boolean integer;
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        void add(NDArray batch) {
            rowShape = Arrays.copyOfRange(batch.getShape().getShape(), 1, batch.getShape().dimension());
            integer = batch.getDataType().isInteger();
            HostTensor host = integer
                    ? HostTensor.ofLongs(batch.getShape().getShape(), batch.toType(DataType.INT64, false).toLongArray())
                    : HostTensor.ofFloats(batch.getShape().getShape(), batch.toFloatArray());
            ByteBuffer data = host.data().duplicate();
            byte[] chunk = new byte[data.remaining()];
            data.get(chunk);
            bytes.writeBytes(chunk);
        }

        HostTensor result(int rows) {
            long[] shape = new long[rowShape.length + 1];
            shape[0] = rows;
            System.arraycopy(rowShape, 0, shape, 1, rowShape.length);
            ByteBuffer data = ByteBuffer.wrap(bytes.toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
            return new HostTensor(integer ? DType.I64 : DType.F32, shape, data);
        }
    }

    /** (B, 3, H, W) pixels → MaskGIT-VQGAN {@code codes} (B, h·w) int64. */
    static void vqganEncode(Vqgan vqgan, TensorOptions options, int batchSize) {
        HostTensor input = read(options);
        long[] s = input.shape();
        if (s.length != 4 || s[1] != 3 || !input.dtype().isFloatingPoint()) {
            throw new TitokException(options.input + ": tensor of shape " + Arrays.toString(s) + " and type " + input.dtype()
                    + ": expected float pixels of shape (B, 3, H, W) in [0, 1]");
        }
        float[] pixels = input.toFloats();
        int per = s[0] == 0 ? 0 : (int) (pixels.length / s[0]);
        HostTensor codes = batched(s, batchSize, (start, shape) -> vqgan.encode(Tensors.of(vqgan.manager(), 
                Arrays.copyOfRange(pixels, start * per, (int) (start + shape.get(0)) * per), shape)));
        write(options.output, Map.of("codes", codes), VqganModels.OFFICIAL);
    }

    /** Code ids (B, h·w) or (B, h, w) → {@code decoded} pixels, clamped to [0, 1] like the official decode. */
    static void vqganDecode(Vqgan vqgan, TensorOptions options, int batchSize) {
        HostTensor input = read(options);
        if (input.dtype().isFloatingPoint()) {
            throw new TitokException(options.input + ": tensor of type " + input.dtype() + ": expected integer code ids");
        }
        long[] ids = input.toLongs();
        long[] s = input.shape();
        int per = s[0] == 0 ? 0 : (int) (ids.length / s[0]);
        HostTensor decoded = batched(s, batchSize, (start, shape) -> vqgan.decode(Tensors.of(vqgan.manager(), 
                Arrays.copyOfRange(ids, start * per, (int) (start + shape.get(0)) * per), shape)));
        write(options.output, Map.of("decoded", decoded), VqganModels.OFFICIAL);
    }

    private static float[] checkPixels(TiTokConfig config, HostTensor input, TensorOptions options) {
        long[] s = input.shape();
        int size = config.imageSize();
        if (s.length != 4 || s[1] != 3 || s[2] != size || s[3] != size || !input.dtype().isFloatingPoint()) {
            throw new TitokException(options.input + ": tensor of shape " + Arrays.toString(s) + " and type " + input.dtype()
                    + ": expected float pixels of shape (B, 3, " + size + ", " + size + ") in [0, 1]");
        }
        return input.toFloats();
    }

    /** The input array: a .npy file (by its magic bytes) or one tensor of a safetensors file. */
    static HostTensor read(TensorOptions options) {
        Path file = options.input;
        if (isNpy(file)) {
            return Npy.read(file);
        }
        try (SafeTensors st = SafeTensors.open(file)) {
            String name = options.tensor;
            if (name == null) {
                if (st.names().size() != 1) {
                    throw new TitokException(file + " holds " + st.names().size() + " tensors: choose one with --tensor NAME, one of "
                            + st.names());
                }
                name = st.names().iterator().next();
            }
            if (!st.names().contains(name)) {
                throw new TitokException(file + ": no tensor named '" + name + "': expected one of " + st.names());
            }
            HostTensor t = st.get(name);
            ByteBuffer heap = ByteBuffer.allocate(t.data().remaining()).order(ByteOrder.LITTLE_ENDIAN);
            heap.put(t.data().duplicate()).flip();
            return new HostTensor(t.dtype(), t.shape(), heap);
        }
    }

    private static boolean isNpy(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] magic = in.readNBytes(6);
            return magic.length == 6 && (magic[0] & 0xff) == 0x93 && new String(magic, 1, 5, StandardCharsets.US_ASCII).equals("NUMPY");
        } catch (IOException e) {
            throw new TitokException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static void write(Path output, Map<String, HostTensor> tensors, TiTok titok) {
        write(output, tensors, titok.config().name());
    }

    private static void write(Path output, Map<String, HostTensor> tensors, String model) {
        SafeTensors.write(output, tensors, Map.of("model", model));
    }
}
