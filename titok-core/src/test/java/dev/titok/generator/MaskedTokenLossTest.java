package dev.titok.generator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The MLM loss against the formula of SPEC §4.6 evaluated in plain double arithmetic. */
class MaskedTokenLossTest {

    @Test
    void matchesTheFormula() {
        int b = 2;
        int l = 3;
        int n = 5;
        SplittableRandom random = new SplittableRandom(7);
        float[] logits = new float[b * l * n];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) (3 * random.nextGaussian());
        }
        long[] targets = {0, 4, 2, 1, 1, 3};
        boolean[] masked = {true, false, true, false, false, true};

        double eps = 0.1;
        double w = 0.1;
        double weighted = 0;
        double weights = 0;
        double[] rowCorrect = new double[b];
        double[] rowMasked = new double[b];
        for (int p = 0; p < b * l; p++) {
            double max = Double.NEGATIVE_INFINITY;
            int argmax = 0;
            for (int c = 0; c < n; c++) {
                if (logits[p * n + c] > max) {
                    max = logits[p * n + c];
                    argmax = c;
                }
            }
            double sumExp = 0;
            for (int c = 0; c < n; c++) {
                sumExp += Math.exp(logits[p * n + c] - max);
            }
            double logZ = max + Math.log(sumExp);
            double nll = logZ - logits[p * n + (int) targets[p]];
            double smooth = 0;
            for (int c = 0; c < n; c++) {
                smooth += (logZ - logits[p * n + c]) / n;
            }
            double loss = (1 - eps) * nll + eps * smooth;
            double weight = masked[p] ? 1 : w;
            weighted += weight * loss;
            weights += weight;
            if (masked[p]) {
                rowMasked[p / l]++;
                rowCorrect[p / l] += argmax == targets[p] ? 1 : 0;
            }
        }
        double expectedLoss = weighted / (weights + 1e-8);
        double expectedCorrect = (rowCorrect[0] / rowMasked[0] + rowCorrect[1] / rowMasked[1]) / 2;

        try (NDManager m = NDManager.newBaseManager()) {
            NDArray mask = m.create(masked, new Shape(b, l));
            MaskedTokenLoss.Result r = MaskedTokenLoss.OFFICIAL.compute(m.create(logits, new Shape(b, l, n)),
                    m.create(targets, new Shape(b, l)), mask);
            assertThat((double) r.loss().getFloat()).isCloseTo(expectedLoss, within(1e-5));
            assertThat((double) r.correctTokens().getFloat()).isCloseTo(expectedCorrect, within(1e-6));
        }
    }
}
