package dev.titok.generator;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import dev.titok.io.HostTensor;
import dev.titok.nn.Embedding;
import dev.titok.nn.Init;
import dev.titok.nn.LayerNorm;
import dev.titok.nn.Linear;
import dev.titok.nn.ModuleList;
import dev.titok.nn.Parameter;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The MaskGIT generator of TiTok-S-128 (model_type "UViT", SPEC §4.4): token embeddings plus learned positions, then
 * {@code n/2} in-blocks, a mid-block and {@code n/2} out-blocks joined by long skips (out-block j takes the output of
 * in-block {@code n/2 − 1 − j}), a final LayerNorm and the LM head. Parameter names are the official state-dict keys.
 *
 * <p>From-scratch initialisation: truncated N(0, 0.02) (at ±2) for Linear and embedding weights and {@code pos_embed},
 * zero biases, LayerNorm 1 and 0.
 */
public final class UViTBert extends GeneratorModel {

    private final Parameter posEmbed;
    private final Embedding embeddings;
    private final List<UViTBlock> inBlocks;
    private final UViTBlock midBlock;
    private final List<UViTBlock> outBlocks;
    private final LayerNorm norm;
    private final Linear lmHead;

    /** Builds the module tree; give it values with {@link #load} or {@link #random}. */
    public UViTBert(GeneratorConfig config) {
        super(config, GeneratorConfig.ModelType.UVIT);
        int hidden = config.hiddenSize();
        int half = config.numHiddenLayers() / 2;
        this.posEmbed = parameter("pos_embed", Init.LINEAR, 1, config.imageSeqLen() + 1L, hidden);
        this.embeddings = child("embeddings", new Embedding(config.vocabSize(), hidden, Init.LINEAR));
        this.inBlocks = child("in_blocks", new ModuleList<>(half, i -> new UViTBlock(config, false))).items();
        this.midBlock = child("mid_block", new UViTBlock(config, false));
        this.outBlocks = child("out_blocks", new ModuleList<>(half, i -> new UViTBlock(config, true))).items();
        this.norm = child("norm", new LayerNorm(hidden, UViTBlock.LAYER_NORM_EPS));
        this.lmHead = child("lm_head", new Linear(hidden, config.codebookSize()));
    }

    /** A model whose parameters come from a checkpoint (strict: every key must match the config). */
    public static UViTBert load(GeneratorConfig config, Map<String, HostTensor> weights, String source) {
        UViTBert model = new UViTBert(config);
        model.loadWeights(weights, source, Set.of());
        return model;
    }

    /** A model with the official from-scratch initialisation, for training and benchmarks. */
    public static UViTBert random(GeneratorConfig config, long seed) {
        UViTBert model = new UViTBert(config);
        model.initializeRandomly(seed);
        return model;
    }

    /** The official U-ViT blocks get no dropout, so training and inference mode are the same here. */
    @Override
    NDArray logits(NDArray inputIds, Dropout dropout) {
        long t = inputIds.getShape().get(1);
        NDArray x = embeddings.lookup(inputIds).add(posEmbed.value().get(new NDIndex(":, 0:{}", t))); // (B, 1 + L, H)
        Deque<NDArray> skips = new ArrayDeque<>();
        for (UViTBlock block : inBlocks) {
            x = block.forward(x, null);
            skips.push(x);
        }
        x = midBlock.forward(x, null);
        for (UViTBlock block : outBlocks) {
            x = block.forward(x, skips.pop());                                               // last in, first out
        }
        return lmHead.forward(norm.forward(x).get(new NDIndex(":, 1:")));                    // (B, L, N)
    }
}
