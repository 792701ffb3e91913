package dev.titok.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link Ops#conv2d} gives the input and weight gradients of a float64 reference, in the cases where libtorch
 * 2.7.1's own float32 CPU convolution gets the input gradient wrong (kernel > 1, output channels not a multiple of
 * 16) and in unaffected ones.
 */
class ConvolutionGradientTest {

    @ParameterizedTest(name = "{0}→{1} channels, {2}×{2} kernel, stride {3}")
    @CsvSource({"32, 3, 3, 1", "32, 1, 5, 1", "32, 24, 3, 1", "32, 8, 3, 2", "32, 32, 3, 1", "3, 32, 3, 1", "32, 3, 1, 1"})
    void gradientsMatchAFloat64Reference(int in, int out, int kernel, int stride) {
        try (NDManager manager = NDManager.newBaseManager()) {
            manager.getEngine().setRandomSeed(1);
            NDArray x = manager.randomNormal(new Shape(4, in, 16, 16));
            NDArray w = manager.randomNormal(new Shape(out, in, kernel, kernel)).mul(0.1f);
            NDArray b = manager.randomNormal(new Shape(out));
            NDArray[] expected = gradients(x, w, b, kernel, stride, DataType.FLOAT64);
            NDArray[] actual = gradients(x, w, b, kernel, stride, DataType.FLOAT32);
            for (int i = 0; i < 2; i++) {
                double scale = expected[i].abs().max().getDouble();
                double error = actual[i].sub(expected[i]).abs().max().getDouble() / scale;
                assertThat(error).as(i == 0 ? "input gradient" : "weight gradient").isLessThan(1e-5);
            }
        }
    }

    /** d/dx and d/dw of mean((conv(x) − 0.5)²) in {@code type}, returned as float64. */
    private static NDArray[] gradients(NDArray x0, NDArray w0, NDArray b0, int kernel, int stride, DataType type) {
        NDArray x = x0.toType(type, true).duplicate();
        NDArray w = w0.toType(type, true).duplicate();
        NDArray b = b0.toType(type, true).duplicate();
        x.setRequiresGradient(true);
        w.setRequiresGradient(true);
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray y = Ops.conv2d(x, w, b, stride, (kernel - 1) / 2);
            collector.backward(y.sub(0.5).square().mean());
        }
        return new NDArray[] {x.getGradient().toType(DataType.FLOAT64, true), w.getGradient().toType(DataType.FLOAT64, true)};
    }
}
