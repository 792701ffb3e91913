package dev.titok.generator;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.titok.TitokException;
import dev.titok.io.HostTensor;
import dev.titok.nn.Model;
import dev.titok.tensor.RandomSource;
import java.util.Map;

/**
 * What {@link ImageBert} and {@link UViTBert} share (SPEC §4.1, §4.2): the vocabulary layout, the label dropout drawn
 * on every forward call, and the {@code [class | image tokens]} input sequence. A subclass only maps that sequence to
 * logits.
 *
 * <p>The model owns the native memory of its parameters ({@link #close}). {@link #forward} works on NDArrays and
 * leaves intermediate results to the caller's {@link ai.djl.ndarray.NDScope}; run it with gradients off for inference.
 */
public abstract sealed class GeneratorModel extends Model implements MaskedTokenModel permits ImageBert, UViTBert {

    private final GeneratorConfig config;

    GeneratorModel(GeneratorConfig config, GeneratorConfig.ModelType expected) {
        if (config.modelType() != expected) {
            throw new TitokException(config.name() + ": model_type " + config.modelType().configName() + " builds "
                    + config.modelType().className() + ", not " + expected.className());
        }
        this.config = config;
    }

    /** The module tree of the config's class, without values (for schemas and parameter counts). */
    public static GeneratorModel create(GeneratorConfig config) {
        return switch (config.modelType()) {
            case VIT -> new ImageBert(config);
            case UVIT -> new UViTBert(config);
        };
    }

    /** The generator of the config's class with parameters from a checkpoint (strict: every key must match). */
    public static GeneratorModel load(GeneratorConfig config, Map<String, HostTensor> weights, String source) {
        return switch (config.modelType()) {
            case VIT -> ImageBert.load(config, weights, source);
            case UVIT -> UViTBert.load(config, weights, source);
        };
    }

    /** The generator of the config's class with the official from-scratch initialisation. */
    public static GeneratorModel random(GeneratorConfig config, long seed) {
        return switch (config.modelType()) {
            case VIT -> ImageBert.random(config, seed);
            case UVIT -> UViTBert.random(config, seed);
        };
    }

    /** The config this model was built from. */
    public GeneratorConfig config() {
        return config;
    }

    @Override
    public int codebookSize() {
        return config.codebookSize();
    }

    @Override
    public int numClasses() {
        return config.numClasses();
    }

    @Override
    public int sequenceLength() {
        return config.imageSeqLen();
    }

    /**
     * {@inheritDoc}
     *
     * <p>Runs in inference mode: the hidden and attention dropout of training are not applied.
     *
     * @throws TitokException when the shapes or the ids do not fit this model
     */
    @Override
    public final NDArray forward(NDArray ids, NDArray condition, double condDropProb, RandomSource random) {
        long b = checkInputs(ids, condition);
        // The official forward draws rand_like(condition) before anything else, whatever the probability.
        NDArray u = random.uniform(condition.getManager(), new Shape(b));                     // (B)
        // torch compares the float32 draw with the Python float in float32.
        NDArray drop = u.lt((float) condDropProb);
        NDArray classIds = condition.toType(DataType.INT64, false).add(config.classTokenId(0));
        NDArray nullIds = classIds.zerosLike().add((long) config.nullClassTokenId());
        NDArray cls = NDArrays.where(drop, nullIds, classIds).reshape(b, 1);                  // (B, 1)
        NDArray input = NDArrays.concat(new NDList(cls, ids.toType(DataType.INT64, false)), 1); // (B, 1 + L)
        return logits(input);
    }

    /** (B, 1 + L) ids {@code [class | image tokens]} → (B, L, N) float32 logits of the image positions. */
    abstract NDArray logits(NDArray inputIds);

    private long checkInputs(NDArray ids, NDArray condition) {
        Shape shape = ids.getShape();
        int l = config.imageSeqLen();
        if (shape.dimension() != 2 || shape.get(1) != l) {
            throw new TitokException("token ids of shape " + shape + ": expected (B, " + l + ") for this generator");
        }
        long b = shape.get(0);
        if (!condition.getShape().equals(new Shape(b))) {
            throw new TitokException("class ids of shape " + condition.getShape() + ": expected one per image, (" + b + ")");
        }
        checkRange("token id", ids, config.maskTokenId(), "0.." + config.maskTokenId() + " (" + config.maskTokenId()
                + " = mask)");
        checkRange("class id", condition, config.numClasses() - 1L, "0.." + (config.numClasses() - 1));
        return b;
    }

    /** Ids outside the table would fail deep in libtorch, and mask/class ids fed as the other would pass silently. */
    private static void checkRange(String what, NDArray values, long max, String expected) {
        if (!values.getDataType().isInteger()) {
            throw new TitokException(what + "s of type " + values.getDataType() + ": expected integers");
        }
        if (values.isEmpty()) {
            return;
        }
        long lo = values.min().toType(DataType.INT64, false).getLong();
        long hi = values.max().toType(DataType.INT64, false).getLong();
        if (lo < 0 || hi > max) {
            throw new TitokException(what + " " + (lo < 0 ? lo : hi) + " is out of range: expected " + expected);
        }
    }
}
