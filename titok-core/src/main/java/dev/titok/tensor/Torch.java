package dev.titok.tensor;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/** Facts about the libtorch runtime that DJL only answers once its engine is loaded. */
public final class Torch {

    private Torch() {}

    /** libtorch's intra-op thread count (set with {@code -Dai.djl.pytorch.num_threads}); loads the engine if needed. */
    public static int intraOpThreads() {
        Engine.getEngine("PyTorch");
        return JniUtils.getNumThreads();
    }
}
