package dev.titok.generator;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import dev.titok.nn.Embedding;
import dev.titok.nn.Init;
import dev.titok.nn.LayerNorm;
import dev.titok.nn.Module;

/**
 * HuggingFace {@code BertEmbeddings} with absolute positions (SPEC §4.3):
 * {@code LN(word[id] + token_type[0] + position[t])}. The generator never passes token types, so row 0 is added
 * everywhere and row 1 is unused (but stored).
 */
final class BertEmbeddings extends Module {

    /** HF BERT initialises embeddings with N(0, 0.02); {@link Init#LINEAR} draws exactly that (its clip is 100σ out). */
    private static final Init BERT_NORMAL = Init.LINEAR;
    private static final int TOKEN_TYPES = 2;

    private final Embedding wordEmbeddings;
    private final Embedding positionEmbeddings;
    private final Embedding tokenTypeEmbeddings;
    private final LayerNorm layerNorm;

    BertEmbeddings(GeneratorConfig config, double eps) {
        int hidden = config.hiddenSize();
        this.wordEmbeddings = child("word_embeddings", new Embedding(config.vocabSize(), hidden, BERT_NORMAL));
        this.positionEmbeddings = child("position_embeddings", new Embedding(config.imageSeqLen() + 1L, hidden, BERT_NORMAL));
        this.tokenTypeEmbeddings = child("token_type_embeddings", new Embedding(TOKEN_TYPES, hidden, BERT_NORMAL));
        this.layerNorm = child("LayerNorm", new LayerNorm(hidden, eps));
    }

    /** (B, T) ids → (B, T, H); the sums in HF's order (token type first, then position). */
    NDArray forward(NDArray ids) {
        long t = ids.getShape().get(1);
        NDArray x = wordEmbeddings.lookup(ids).add(tokenTypeEmbeddings.weight().get(0));        // (B, T, H)
        x = x.add(positionEmbeddings.weight().get(new NDIndex("0:{}", t)));
        return layerNorm.forward(x);
    }
}
