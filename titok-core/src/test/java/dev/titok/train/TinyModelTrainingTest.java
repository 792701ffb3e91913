package dev.titok.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.titok.config.QuantizeMode;
import dev.titok.config.TiTokConfig;
import dev.titok.config.TransformerSize;
import dev.titok.generator.GeneratorConfig;
import dev.titok.generator.GeneratorConfig.ModelType;
import dev.titok.generator.GeneratorModel;
import dev.titok.generator.GuidanceDecay;
import dev.titok.nn.Parameter;
import dev.titok.tensor.RandomSource;
import dev.titok.tensor.Seeded;
import dev.titok.tensor.Trace;
import dev.titok.tokenizer.TiTok;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The infrastructure on the real models, shrunk. TiTok: autograd reaches every parameter (patch conv, attention,
 * LayerNorm, L2-normalised codebook lookup through the straight-through estimator, the RGB head's 1×1 conv,
 * depth-to-space and padded 3×3 conv) and a few optimizer steps reduce reconstruction + quantizer loss. Generators
 * (both classes): every parameter gets a gradient from a token cross-entropy (embedding lookups, BERT / U-ViT blocks
 * with skip connections) and the loss falls.
 */
class TinyModelTrainingTest {

    private static final TransformerSize TINY = new TransformerSize("tiny", 32, 1, 2, 2.0);
    private static final TiTokConfig CONFIG = new TiTokConfig("tiny", TINY, TINY, 8, 8, 32, 8, 8, QuantizeMode.VQ, 64,
            true, 0.25, false, false, 1e-5, null);

    @Test
    void everyParameterGetsAGradientAndTheLossFalls() {
        try (TiTok model = TiTok.random(CONFIG, 3)) {
            Map<String, Parameter> trainable = Trainable.prepare(model);
            Seeded random = RandomSource.seeded(4);
            try (AdamW optimizer = new AdamW(ParamGroups.official(trainable, 1e-4), 0.9, 0.99, AdamW.DEFAULT_EPS);
                 NDScope outer = new NDScope()) {
                NDArray images = random.uniform(model.manager(), new Shape(4, 3, 32, 32));
                float first = 0;
                float last = 0;
                for (int step = 0; step < 30; step++) {
                    float loss = backward(model, images, random);
                    if (step == 0) {
                        assertEveryParameterHasAGradient(trainable);
                        first = loss;
                    }
                    last = loss;
                    GradClip.clip(trainable.values(), 1.0);
                    optimizer.step(3e-3);
                    optimizer.zeroGrad();
                }
                assertThat(last).isLessThan(0.7f * first);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(ModelType.class)
    void generatorsLearnTokensToo(ModelType type) {
        GeneratorConfig config = new GeneratorConfig("tiny", type, 32, 5, 6, 32, 4, 4, 64, 0.1, 0.1, 0.1, 8, 4.5, 3.0,
                GuidanceDecay.CONSTANT);
        try (GeneratorModel model = GeneratorModel.random(config, 5)) {
            Map<String, Parameter> trainable = Trainable.prepare(model);
            Seeded random = RandomSource.seeded(6);
            try (AdamW optimizer = new AdamW(ParamGroups.official(trainable, 0.03), 0.9, 0.96, AdamW.DEFAULT_EPS);
                 NDScope outer = new NDScope()) {
                NDManager m = model.manager();
                NDArray ids = m.create(new long[] {1, 7, 32, 2, 32, 9, 4, 4, 32, 32, 30, 0}, new Shape(2, 6)); // 32 = mask
                NDArray targets = m.create(new long[] {1, 7, 12, 2, 5, 9, 4, 4, 18, 21, 30, 0}, new Shape(2, 6));
                NDArray classes = m.create(new long[] {3, 1});
                float first = 0;
                float last = 0;
                for (int step = 0; step < 20; step++) {
                    float loss;
                    try (NDScope scope = new NDScope();
                         GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                        NDArray logits = model.forward(ids, classes, 0.0, random);                       // (B, L, N)
                        NDArray l = logits.logSoftmax(-1).mul(targets.oneHot(32)).sum(new int[] {-1}).mean().neg();
                        collector.backward(l);
                        loss = l.getFloat();
                    }
                    if (step == 0) {
                        assertEveryParameterHasAGradient(trainable);
                        first = loss;
                    }
                    last = loss;
                    optimizer.step(1e-2);
                    optimizer.zeroGrad();
                }
                assertThat(last).isLessThan(0.5f * first);
            }
        }
    }

    private static void assertEveryParameterHasAGradient(Map<String, Parameter> trainable) {
        trainable.forEach((name, p) -> {
            try (NDScope scope = new NDScope()) {
                NDArray grad = Gradients.of(p.value());
                assertThat(grad).as(name).isNotNull();
                assertThat(grad.abs().sum().getFloat()).as(name).isPositive();
            }
        });
    }

    /** Reconstruction MSE plus the quantizer loss, as in the official stage-2-style VQ training. */
    private static float backward(TiTok model, NDArray images, Seeded random) {
        try (NDScope scope = new NDScope();
             GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            TiTok.Encoded encoded = model.encode(images, random, Trace.NONE);
            NDArray reconstruction = model.decode(encoded.zQuantized(), Trace.NONE);
            NDArray loss = reconstruction.sub(images).square().mean().add(encoded.quantized().quantizerLoss());
            collector.backward(loss);
            return loss.getFloat();
        }
    }
}
