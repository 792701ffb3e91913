package dev.titok.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SyntheticShapesTest {

    @Test
    void theSameSeedAndIndexGiveTheSameImage() {
        SyntheticShapes shapes = new SyntheticShapes(32, 1000, 7);

        float[] first = shapes.get(123, null).pixels();

        assertThat(new SyntheticShapes(32, 50_000, 7).get(123, null).pixels()).isEqualTo(first);
        assertThat(shapes.get(124, null).pixels()).isNotEqualTo(first);
        assertThat(new SyntheticShapes(32, 1000, 8).get(123, null).pixels()).isNotEqualTo(first);
    }

    @Test
    void pixelsAreBytesOver255AndLabelsCycleThroughTheClasses() {
        SyntheticShapes shapes = new SyntheticShapes(16, 30, 1);

        assertThat(shapes.numClasses()).isEqualTo(10);
        assertThat(shapes.classNames()).hasSize(10).startsWith("disc", "square");
        for (int i = 0; i < shapes.size(); i++) {
            Example example = shapes.get(i, null);
            assertThat(example.label()).isEqualTo(i % 10);
            assertThat(example.pixels()).hasSize(3 * 16 * 16);
            for (float v : example.pixels()) {
                assertThat(Math.round(v * 255) / 255f).isEqualTo(v);
            }
        }
    }

    @Test
    void aFixedImageNeverChanges() {
        // a checksum of one drawing per class: any change to the drawing code, or a platform that rounds
        // differently, shows up here
        SyntheticShapes shapes = new SyntheticShapes(24, 10, 42);
        long checksum = 0;
        for (int i = 0; i < 10; i++) {
            for (float v : shapes.get(i, null).pixels()) {
                checksum = checksum * 31 + Math.round(v * 255);
            }
        }
        assertThat(checksum).isEqualTo(8344955995585918316L);
    }

    @Test
    void classesAreSeparableByTheirMeanImages() {
        int size = 16;
        int perClass = 40;
        SyntheticShapes shapes = new SyntheticShapes(size, 10 * perClass * 2, 3);
        int floats = 3 * size * size;
        double[][] means = new double[10][floats];
        for (int i = 0; i < 10 * perClass; i++) {
            Example example = shapes.get(i, null);
            for (int j = 0; j < floats; j++) {
                means[example.label()][j] += example.pixels()[j] / perClass;
            }
        }
        for (int a = 0; a < 10; a++) {
            for (int b = a + 1; b < 10; b++) {
                assertThat(distance(means[a], means[b])).as("classes %d and %d", a, b).isGreaterThan(1.0);
            }
        }

        int correct = 0;
        for (int i = 10 * perClass; i < shapes.size(); i++) {
            Example example = shapes.get(i, null);
            int nearest = 0;
            for (int c = 1; c < 10; c++) {
                if (distance(example.pixels(), means[c]) < distance(example.pixels(), means[nearest])) {
                    nearest = c;
                }
            }
            correct += nearest == example.label() ? 1 : 0;
        }
        // a nearest-class-mean classifier, blind to position, is far above chance (0.1)
        assertThat(correct / (double) (10 * perClass)).isGreaterThan(0.8);
    }

    @Test
    void tinyImagesAreRefused() {
        assertThatThrownBy(() -> new SyntheticShapes(4, 10, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    private static double distance(float[] x, double[] mean) {
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            sum += (x[i] - mean[i]) * (x[i] - mean[i]);
        }
        return Math.sqrt(sum);
    }

    private static double distance(double[] x, double[] y) {
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            sum += (x[i] - y[i]) * (x[i] - y[i]);
        }
        return Math.sqrt(sum);
    }
}
