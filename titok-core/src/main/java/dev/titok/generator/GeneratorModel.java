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
 * The {@linkplain #forward(NDArray, NDArray, double, RandomSource, boolean) training-mode forward} adds the dropout of
 * training, its masks drawn from the same {@link RandomSource} so that a seeded run is reproducible and resumable.
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
        return forward(ids, condition, condDropProb, random, false);
    }

    /**
     * Both guided passes in one forward of 2B rows: [ids | class] then [ids | null class]. Sharing the pass gives
     * each matrix product twice the rows, and the two label-dropout draws are still taken (with probabilities 0 and
     * 1 they decide nothing, since the uniforms lie in [0, 1)), so the random stream stays the official one.
     */
    @Override
    public final NDArray[] forwardGuided(NDArray ids, NDArray condition, RandomSource random) {
        long b = checkInputs(ids, condition);
        random.uniform(condition.getManager(), new Shape(b));                             // forward(.., 0.0): keeps all
        random.uniform(condition.getManager(), new Shape(b));                             // forward(.., 1.0): drops all
        NDArray[] classAndNull = classAndNullTokens(condition);
        NDArray cls = NDArrays.concat(new NDList(classAndNull), 0).reshape(2 * b, 1);       // (2B, 1)
        NDArray tokens = ids.toType(DataType.INT64, false);
        NDArray input = NDArrays.concat(new NDList(cls, NDArrays.concat(new NDList(tokens, tokens), 0)), 1); // (2B, 1 + L)
        NDList halves = logits(input, Dropout.NONE).split(2, 0);                          // 2 × (B, L, N)
        return new NDArray[] {halves.get(0), halves.get(1)};
    }

    /**
     * The forward pass in inference or training mode. In training mode {@link ImageBert} applies the config's hidden
     * {@code dropout} and attention-probability {@code attnDrop} as HF's BERT does in {@code train()} mode; each mask is
     * drawn from {@code random} as uniforms of the tensor's shape (kept where {@code u ≥ p}, scaled by 1/(1 − p)),
     * after the label-dropout draw and in the order of the forward pass (SPEC §4.5). A probability of 0 draws nothing.
     * {@link UViTBert} has no dropout (SPEC §4.4), so both modes are the same for it.
     *
     * @param ids          (B, L) int64 token ids in [0, N] (N = mask)
     * @param condition    (B) int64 class ids in [0, NC)
     * @param condDropProb probability of replacing a row's class by the null class (B draws on every call)
     * @param training     whether to apply the dropout of training
     * @return (B, L, N) float32 logits
     * @throws TitokException when the shapes or the ids do not fit this model
     */
    public final NDArray forward(NDArray ids, NDArray condition, double condDropProb, RandomSource random,
                                 boolean training) {
        long b = checkInputs(ids, condition);
        // The official forward draws rand_like(condition) before anything else, whatever the probability.
        NDArray u = random.uniform(condition.getManager(), new Shape(b));                     // (B)
        // torch compares the float32 draw with the Python float in float32.
        NDArray drop = u.lt((float) condDropProb);
        NDArray[] classAndNull = classAndNullTokens(condition);
        NDArray cls = NDArrays.where(drop, classAndNull[1], classAndNull[0]).reshape(b, 1);   // (B, 1)
        NDArray input = NDArrays.concat(new NDList(cls, ids.toType(DataType.INT64, false)), 1); // (B, 1 + L)
        Dropout dropout = training ? new Dropout(random, config.dropout(), config.attnDrop()) : Dropout.NONE;
        return logits(input, dropout);
    }

    /** (B, 1 + L) ids {@code [class | image tokens]} → (B, L, N) float32 logits of the image positions. */
    abstract NDArray logits(NDArray inputIds, Dropout dropout);

    /**
     * The dropout of one forward pass: hidden-state and attention-probability probabilities and the source of the
     * masks. {@link #NONE} (inference) returns its input unchanged and draws nothing.
     */
    static final class Dropout {

        static final Dropout NONE = new Dropout(null, 0, 0);

        private final RandomSource random;
        private final double hidden;
        private final double attention;

        Dropout(RandomSource random, double hidden, double attention) {
            this.random = random;
            this.hidden = hidden;
            this.attention = attention;
        }

        /** Dropout of hidden states (BERT's {@code hidden_dropout_prob}). */
        NDArray hidden(NDArray x) {
            return apply(x, hidden);
        }

        /** Whether this pass drops anything (training mode), which the fused inference kernels cannot. */
        boolean active() {
            return random != null && (hidden > 0 || attention > 0);
        }

        /** Whether attention probabilities are dropped, so attention must expose them. */
        boolean dropsAttention() {
            return random != null && attention > 0;
        }

        /** Dropout of attention probabilities (BERT's {@code attention_probs_dropout_prob}). */
        NDArray attention(NDArray probs) {
            return apply(probs, attention);
        }

        /** {@code x · keep / (1 − p)} with {@code keep = u ≥ p}, u uniform of x's shape; all zeros for p = 1, like torch. */
        private NDArray apply(NDArray x, double p) {
            if (random == null || p == 0) {
                return x;
            }
            NDArray keep = random.uniform(x.getManager(), x.getShape()).gte((float) p);
            float scale = p < 1 ? (float) (1.0 / (1.0 - p)) : 0f;
            return x.mul(keep.toType(DataType.FLOAT32, false).mul(scale));
        }
    }

    /** The (B) input ids of the condition's classes ({@code N + 1 + c}) and (B) of the null class. */
    private NDArray[] classAndNullTokens(NDArray condition) {
        NDArray classIds = condition.toType(DataType.INT64, false).add(config.classTokenId(0));
        return new NDArray[] {classIds, classIds.zerosLike().add((long) config.nullClassTokenId())};
    }

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
