package dev.titok.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/** A lookup table of {@code count} rows of {@code dim} values ({@code nn.Embedding}); codebooks use it too. */
public final class Embedding extends Module {

    private final Parameter weight;

    public Embedding(long count, long dim, Init init) {
        this.weight = parameter("weight", init, count, dim);
    }

    /** The table, (count, dim). */
    public NDArray weight() {
        return weight.value();
    }

    /** Integer ids of any shape → (..., dim). */
    public NDArray lookup(NDArray ids) {
        NDArray flat = ids.toType(DataType.INT64, false).flatten();
        NDArray rows = weight.value().get(flat);
        return rows.reshape(ids.getShape().addAll(new ai.djl.ndarray.types.Shape(weight.shape().get(1))));
    }
}
