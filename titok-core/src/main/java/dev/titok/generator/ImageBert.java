package dev.titok.generator;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import dev.titok.io.HostTensor;
import dev.titok.nn.Linear;
import dev.titok.nn.Module;
import dev.titok.nn.ModuleList;
import java.util.Map;
import java.util.Set;

/**
 * The MaskGIT generator of TiTok-L-32 and TiTok-B-64 (model_type "ViT", SPEC §4.3): a HuggingFace {@code BertModel}
 * without pooler, post-LayerNorm (eps 1e-12), plus an untied {@code lm_head} stored inside it ({@code model.lm_head}).
 * Parameter names are the official state-dict keys.
 *
 * <p>In training mode ({@link GeneratorModel#forward(NDArray, NDArray, double, dev.titok.tensor.RandomSource, boolean)})
 * hidden dropout follows the embeddings' LayerNorm and each layer's two output projections, and attention dropout
 * the attention probabilities, as in HF's BERT.
 *
 * <p>From-scratch initialisation follows HF's BERT scheme: weights N(0, 0.02) ({@code Init.LINEAR}: its ±2 clip is
 * 100σ away, so it is the untruncated normal), biases 0, LayerNorm 1 and 0.
 */
public final class ImageBert extends GeneratorModel {

    /** HF BERT's LayerNorm epsilon. */
    public static final double LAYER_NORM_EPS = 1e-12;
    /** A buffer that checkpoints saved by older {@code transformers} versions contain; it is {@code arange(L + 1)}. */
    private static final Set<String> STRAY_BUFFERS = Set.of("model.embeddings.position_ids");

    private final Bert bert;

    /** Builds the module tree; give it values with {@link #load} or {@link #random}. */
    public ImageBert(GeneratorConfig config) {
        super(config, GeneratorConfig.ModelType.VIT);
        this.bert = child("model", new Bert(config));
    }

    /** A model whose parameters come from a checkpoint (strict; a stray {@code position_ids} buffer is ignored). */
    public static ImageBert load(GeneratorConfig config, Map<String, HostTensor> weights, String source) {
        ImageBert model = new ImageBert(config);
        model.loadWeights(weights, source, STRAY_BUFFERS);
        return model;
    }

    /** A model with the official from-scratch initialisation, for training and benchmarks. */
    public static ImageBert random(GeneratorConfig config, long seed) {
        ImageBert model = new ImageBert(config);
        model.initializeRandomly(seed);
        return model;
    }

    @Override
    NDArray logits(NDArray inputIds, Dropout dropout) {
        NDArray x = dropout.hidden(bert.embeddings.forward(inputIds));                       // (B, 1 + L, H)
        for (BertLayer layer : bert.encoder.layer.items()) {
            x = layer.forward(x, dropout);
        }
        return bert.lmHead.forward(x.get(new NDIndex(":, 1:")));                             // (B, L, N)
    }

    /** The {@code BertModel} under {@code model.}, with the LM head attached to it as in the official code. */
    private static final class Bert extends Module {
        final BertEmbeddings embeddings;
        final Encoder encoder;
        final Linear lmHead;

        Bert(GeneratorConfig config) {
            this.embeddings = child("embeddings", new BertEmbeddings(config, LAYER_NORM_EPS));
            this.encoder = child("encoder", new Encoder(config));
            this.lmHead = child("lm_head", new Linear(config.hiddenSize(), config.codebookSize()));
        }
    }

    /** {@code encoder.layer.{i}}. */
    private static final class Encoder extends Module {
        final ModuleList<BertLayer> layer;

        Encoder(GeneratorConfig config) {
            this.layer = child("layer", new ModuleList<>(config.numHiddenLayers(), i -> new BertLayer(config, LAYER_NORM_EPS)));
        }
    }
}
