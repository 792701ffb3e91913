package dev.titok.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.titok.tensor.RandomSource;
import dev.titok.tensor.Seeded;

/**
 * The training loop of the tests: a {@link TinyMlp} regressing a fixed random teacher on batches drawn from a seeded
 * source, with the official optimizer grouping, cosine schedule, clipping and EMA.
 */
final class TrainingRun implements AutoCloseable {

    static final int BATCH = 16;
    static final double LR = 1e-2;

    final TinyMlp model;
    final AdamW optimizer;
    final Ema ema;
    final Seeded random;
    final LrSchedule schedule = LrSchedule.cosine(LR, 1e-4, 10, 400);
    final TrainingState state;
    long step;

    /** Different seeds for a resumed run prove that loading replaces everything. */
    TrainingRun(long initSeed, long dataSeed) {
        model = TinyMlp.random(initSeed);
        optimizer = new AdamW(ParamGroups.official(Trainable.prepare(model), 0.01), 0.9, 0.99, AdamW.DEFAULT_EPS);
        ema = new Ema(model);
        random = RandomSource.seeded(dataSeed);
        state = new TrainingState()
                .add("model", new ModuleWeights(model))
                .add("ema", ema)
                .add("optimizer", optimizer)
                .random("data", random)
                .config("{\"lr\": " + LR + "}");
    }

    /**
     * One optimizer step; returns the loss before it. Only the forward and backward pass run in a scope of their own:
     * clipping, optimizer and EMA must free their temporaries themselves.
     */
    float step() {
        float loss;
        try (NDScope scope = new NDScope();
             GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDManager m = model.manager();
            NDArray x = random.normal(m, new Shape(BATCH, TinyMlp.IN));
            NDArray l = model.forward(x).sub(teacher(x)).square().mean();
            collector.backward(l);
            loss = l.getFloat();
        }
        GradClip.clip(optimizer.parameters().values(), 1.0);
        optimizer.step(schedule.lr(step));
        optimizer.zeroGrad();
        ema.update();
        step++;
        return loss;
    }

    /** tanh(x·T) for a fixed T, (B, IN) → (B, OUT). */
    static NDArray teacher(NDArray x) {
        float[] t = new float[TinyMlp.IN * TinyMlp.OUT];
        for (int i = 0; i < t.length; i++) {
            t[i] = (float) Math.sin(1.7 * i) * 0.5f;
        }
        return x.matMul(x.getManager().create(t, new Shape(TinyMlp.IN, TinyMlp.OUT))).tanh();
    }

    @Override
    public void close() {
        optimizer.close();
        ema.close();
        model.close();
    }
}
