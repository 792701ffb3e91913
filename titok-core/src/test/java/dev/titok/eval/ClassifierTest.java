package dev.titok.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.titok.TitokException;
import dev.titok.data.Dataset;
import dev.titok.data.SyntheticShapes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The classifier learns the ten synthetic shape classes in a few seconds, saves and loads exactly, and explains a bad
 * folder. One short training run is shared by the tests that need a trained model.
 */
class ClassifierTest {

    private static final int SIZE = 16;
    private static final ClassifierTraining.Settings QUICK =
            new ClassifierTraining.Settings(3, 32, 3e-3, 0.05, 5.0, 7);

    private static Classifier trained;
    private static ClassifierTraining.Result result;
    private static int arraysBeforeTraining;
    private static final List<ClassifierTraining.Progress> progress = new ArrayList<>();

    @BeforeAll
    static void trainOnShapes() {
        Dataset train = new SyntheticShapes(SIZE, 640, 1);
        Dataset test = new SyntheticShapes(SIZE, 300, 2);
        trained = Classifier.random(train.numClasses(), SIZE, QUICK.seed());
        arraysBeforeTraining = trained.manager().getManagedArrays().size();
        result = ClassifierTraining.train(trained, train, test, QUICK, progress::add);
    }

    @AfterAll
    static void close() {
        trained.close();
    }

    @Test
    void learnsSeparableClassesAndReportsProgress() {
        assertThat(result.testAccuracy()).isGreaterThan(0.8);
        assertThat(result.steps()).isEqualTo(3 * (640 / 32));
        assertThat(progress).hasSize((int) result.steps());
        assertThat(progress.get(0).step()).isEqualTo(1);
        assertThat(progress.get(progress.size() - 1).epoch()).isEqualTo(2);
        assertThat(progress.get(0).totalSteps()).isEqualTo(result.steps());
        double firstLoss = progress.get(0).loss();
        assertThat(result.lastLoss()).isLessThan(0.5 * firstLoss);
        assertThat(trained.classNames()).isEqualTo(SyntheticShapes.CLASSES);
        assertThat(trained.testAccuracy()).hasValue(result.testAccuracy());
        // every step and the evaluation freed their tensors: the model's manager holds what it held before training
        assertThat(trained.manager().getManagedArrays()).hasSize(arraysBeforeTraining);
    }

    @Test
    void arrayCallsAgreeAcrossChunks() {
        float[][] images = images(new SyntheticShapes(SIZE, Classifier.MAX_BATCH + 5, 3));
        float[][] logits = trained.logits(images);
        float[][] features = trained.features(images);
        int[] predicted = trained.predict(images);
        assertThat(logits).hasNumberOfRows(images.length);
        assertThat(logits[0]).hasSize(10);
        assertThat(features[0]).hasSize(Classifier.FEATURES);
        for (float f : features[images.length - 1]) {
            assertThat(f).isGreaterThanOrEqualTo(0f); // after the ReLU
        }
        // the last image alone is in a chunk of its own; alone it must give the same numbers
        float[][] alone = trained.logits(new float[][] {images[images.length - 1]});
        assertThat(alone[0]).containsExactly(logits[images.length - 1], Offset.offset(1e-5f));
        for (int i = 0; i < images.length; i++) {
            int best = 0;
            for (int c = 1; c < 10; c++) {
                best = logits[i][c] > logits[i][best] ? c : best;
            }
            assertThat(predicted[i]).isEqualTo(best);
        }
    }

    @Test
    void saveAndLoadGiveIdenticalLogits(@TempDir Path dir) throws IOException {
        float[][] images = images(new SyntheticShapes(SIZE, 20, 4));
        Path folder = dir.resolve("clf");
        trained.save(folder);
        try (Classifier loaded = Classifier.load(folder)) {
            assertThat(loaded.numClasses()).isEqualTo(10);
            assertThat(loaded.imageSize()).isEqualTo(SIZE);
            assertThat(loaded.classNames()).isEqualTo(SyntheticShapes.CLASSES);
            assertThat(loaded.testAccuracy()).hasValue(result.testAccuracy());
            assertThat(loaded.logits(images)).isDeepEqualTo(trained.logits(images));
        }
        // no temporary file is left behind
        try (Stream<Path> files = Files.list(folder)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder(Classifier.CONFIG_FILE, Classifier.WEIGHTS_FILE);
        }
    }

    @Test
    void sameSeedSameWeights() {
        float[][] images = images(new SyntheticShapes(SIZE, 4, 5));
        try (Classifier a = Classifier.random(10, SIZE, 11);
             Classifier b = Classifier.random(10, SIZE, 11);
             Classifier c = Classifier.random(10, SIZE, 12)) {
            assertThat(a.logits(images)).isDeepEqualTo(b.logits(images));
            assertThat(a.logits(images)[0]).isNotEqualTo(c.logits(images)[0]);
        }
    }

    @Test
    void trainingIsReproducibleFromTheSeed() {
        Dataset train = new SyntheticShapes(SIZE, 96, 8);
        ClassifierTraining.Settings settings = new ClassifierTraining.Settings(2, 32, 3e-3, 0.05, 5.0, 9);
        float[][] images = images(new SyntheticShapes(SIZE, 8, 10));
        float[][][] logits = new float[2][][];
        for (int run = 0; run < 2; run++) {
            try (Classifier model = Classifier.random(10, SIZE, settings.seed())) {
                ClassifierTraining.train(model, train, train, settings, p -> { });
                logits[run] = model.logits(images);
            }
        }
        // bit for bit with one libtorch thread, as the tests run
        assertThat(logits[1]).isDeepEqualTo(logits[0]);
    }

    @Test
    void badFoldersNameTheFile(@TempDir Path dir) throws IOException {
        assertThatThrownBy(() -> Classifier.load(dir.resolve("absent")))
                .isInstanceOf(TitokException.class).hasMessageContaining("absent").hasMessageContaining("no such folder");
        assertThatThrownBy(() -> Classifier.load(dir))
                .isInstanceOf(TitokException.class).hasMessageContaining(Classifier.CONFIG_FILE);

        Path folder = dir.resolve("clf");
        try (Classifier small = Classifier.random(10, SIZE, 1)) {
            small.save(folder);
        }
        Files.delete(folder.resolve(Classifier.WEIGHTS_FILE));
        assertThatThrownBy(() -> Classifier.load(folder))
                .isInstanceOf(TitokException.class).hasMessageContaining(Classifier.WEIGHTS_FILE)
                .hasMessageContaining("no such file");

        // weights of a classifier for another image size: the first linear layer has the wrong shape
        try (Classifier other = Classifier.random(10, 2 * SIZE, 1)) {
            other.save(dir.resolve("other"));
        }
        Files.copy(dir.resolve("other").resolve(Classifier.WEIGHTS_FILE), folder.resolve(Classifier.WEIGHTS_FILE));
        assertThatThrownBy(() -> Classifier.load(folder))
                .isInstanceOf(TitokException.class).hasMessageContaining(Classifier.WEIGHTS_FILE)
                .hasMessageContaining("fc.weight");

        Files.writeString(folder.resolve(Classifier.CONFIG_FILE), "{\"num_classes\": 10, \"image_size\": 18}");
        assertThatThrownBy(() -> Classifier.load(folder))
                .isInstanceOf(TitokException.class).hasMessageContaining(Classifier.CONFIG_FILE)
                .hasMessageContaining("image_size");
        Files.writeString(folder.resolve(Classifier.CONFIG_FILE), "not json");
        assertThatThrownBy(() -> Classifier.load(folder))
                .isInstanceOf(TitokException.class).hasMessageContaining(Classifier.CONFIG_FILE);
    }

    @Test
    void wrongInputsAreExplained() {
        try (Classifier model = Classifier.random(10, SIZE, 1)) {
            assertThatThrownBy(() -> model.predict(new float[][] {new float[3 * 28 * 28]}))
                    .isInstanceOf(TitokException.class).hasMessageContaining("expected 3 x 16 x 16");
            assertThatThrownBy(() -> ClassifierTraining.accuracy(model, new SyntheticShapes(32, 10, 1)))
                    .isInstanceOf(TitokException.class).hasMessageContaining("32-pixel");
        }
        assertThatThrownBy(() -> Classifier.random(10, 30, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    /** Every image of a dataset as a (3, S, S) row. */
    static float[][] images(Dataset data) {
        float[][] out = new float[data.size()][];
        SplittableRandom augmentation = new SplittableRandom(0); // shapes draw no augmentation
        for (int i = 0; i < out.length; i++) {
            out[i] = data.get(i, augmentation).pixels();
        }
        return out;
    }
}
