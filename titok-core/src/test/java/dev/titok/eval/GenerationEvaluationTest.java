package dev.titok.eval;

import dev.titok.eval.stats.Frechet;
import dev.titok.eval.stats.FeatureStatistics;
import dev.titok.eval.stats.InceptionScore;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.titok.data.Dataset;
import dev.titok.data.SyntheticShapes;
import dev.titok.io.NpzImageWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scoring a set of images: the sums do not depend on how the images are batched or read (dataset, ADM .npz), a set
 * scored against its own statistics has FID 0, and an interrupted run resumes to the same figures.
 */
class GenerationEvaluationTest {

    private static final Dataset DATA = new SyntheticShapes(32, 150, 11);
    private static ClassifierSpace space;

    @TempDir
    Path dir;

    @BeforeAll
    static void space() {
        space = ClassifierSpace.of(Classifier.random(10, 32, 5), "a random test classifier");
    }

    @AfterAll
    static void close() {
        space.close();
    }

    @Test
    void theSumsAreThoseOfAllFeaturesAtOnce() {
        GenerationEvaluation.Result r;
        try (SampleImages images = SampleImages.of(DATA)) {
            r = GenerationEvaluation.run(images, space, null, 1000, done -> { });
        }
        byte[] all;
        try (SampleImages images = SampleImages.of(DATA)) {
            all = images.next(1000);
        }
        FeatureSpace.Features f = space.features(all, 32, 32);
        FeatureStatistics expected = new FeatureStatistics(space.dimensions());
        expected.add(f.pool(), f.count());
        InceptionScore is = new InceptionScore(space.classes());
        is.add(f.logits(), f.count());
        assertThat(r.images()).isEqualTo(150);
        assertThat(r.statistics().mean()).containsExactly(expected.mean(), org.assertj.core.data.Offset.offset(1e-12));
        assertThat(r.inceptionScore()).isCloseTo(is.score(), org.assertj.core.data.Offset.offset(1e-12));
        assertThat(r.admScore().splitScores()).hasSize(1);
        // one split: ADM's score is the official one without the 1e-16 epsilons, on float32 probabilities
        assertThat(r.admScore().score()).isCloseTo(r.inceptionScore(), org.assertj.core.data.Offset.offset(1e-5));
        Frechet.Result self = Frechet.admDistance(r.statistics().toFid(), r.statistics().toFid());
        assertThat(Math.abs(self.fid())).isLessThan(1e-6);
    }

    @Test
    void anAdmSampleBatchReadsBackAsTheImagesWritten() {
        Path npz = dir.resolve("samples.npz");
        byte[] chw;
        try (SampleImages images = SampleImages.of(DATA)) {
            chw = images.next(150);
        }
        byte[] hwc = SampleImages.toHwc(chw, 150, 32, 32);
        try (NpzImageWriter writer = NpzImageWriter.create(npz, 150, 32, 32)) {
            for (int i = 0; i < 150; i++) {
                writer.append(hwc, i * 3 * 32 * 32);
            }
        }
        try (SampleImages read = SampleImages.open(npz)) {
            assertThat(read.count()).isEqualTo(150);
            byte[] first = read.next(100);
            byte[] rest = read.next(100);
            assertThat(rest).hasSize(50 * 3 * 32 * 32);
            byte[] joined = new byte[chw.length];
            System.arraycopy(first, 0, joined, 0, first.length);
            System.arraycopy(rest, 0, joined, first.length, rest.length);
            assertThat(joined).isEqualTo(chw);
            assertThat(read.next(10)).isEmpty();
        }
    }

    @Test
    void anInterruptedRunResumesToTheSameFigures() {
        GenerationEvaluation.Result whole;
        try (SampleImages images = SampleImages.of(DATA)) {
            whole = GenerationEvaluation.run(images, space, null, 64, done -> { });
        }
        Path state = dir.resolve("gen.state.npz");
        assertThatThrownBy(() -> {
            try (SampleImages images = SampleImages.of(DATA)) {
                GenerationEvaluation.run(images, space, state, 64, done -> {
                    if (done == 128) {
                        throw new IllegalStateException("interrupted");
                    }
                });
            }
        }).hasMessage("interrupted");
        GenerationEvaluation.Result resumed;
        try (SampleImages images = SampleImages.of(DATA)) {
            resumed = GenerationEvaluation.run(images, space, state, 64, done -> { });
        }
        assertThat(resumed.statistics().covariance()).isEqualTo(whole.statistics().covariance());
        assertThat(resumed.inceptionScore()).isEqualTo(whole.inceptionScore());
        assertThat(resumed.admScore().score()).isEqualTo(whole.admScore().score());
    }
}
