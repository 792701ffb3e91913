package dev.titok.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.util.List;
import org.junit.jupiter.api.Test;

class PostprocessTest {

    @Test
    void roundHalfEvenAndTruncateDifferAsInTheOfficialCode() {
        assertThat(Rounding.ROUND_HALF_EVEN.toLevel(0.5f)).isEqualTo(128); // 255 * 0.5 = 127.5 -> 128 (even)
        assertThat(Rounding.TRUNCATE.toLevel(0.5f)).isEqualTo(127);
        assertThat(Rounding.ROUND_HALF_EVEN.toLevel(0.25f)).isEqualTo(64); // 63.75
        float twoAndAHalf = 2.5f / 255f;
        assertThat(twoAndAHalf * 255f).isEqualTo(2.5f);
        assertThat(Rounding.ROUND_HALF_EVEN.toLevel(twoAndAHalf)).isEqualTo(2); // Math.round would give 3
        assertThat(Rounding.ROUND_HALF_EVEN.toLevel(0.9999f)).isEqualTo(255);
        assertThat(Rounding.TRUNCATE.toLevel(0.9999f)).isEqualTo(254);
    }

    @Test
    void clampsOutOfRangeValuesAndMapsNanToBlack() {
        for (Rounding rounding : Rounding.values()) {
            assertThat(rounding.toLevel(-0.3f)).isZero();
            assertThat(rounding.toLevel(1.7f)).isEqualTo(255);
            assertThat(rounding.toLevel(Float.NaN)).isZero();
            assertThat(rounding.toLevel(Float.POSITIVE_INFINITY)).isEqualTo(255);
        }
    }

    @Test
    void everyLevelSurvivesTensorRoundTrip() {
        BufferedImage image = TestImages.noise(16, 16, 9);

        BufferedImage back = Postprocess.toImage(Preprocess.toTensor(image), 0, 16, 16, Rounding.ROUND_HALF_EVEN);
        BufferedImage truncated = Postprocess.toImage(Preprocess.toTensor(image), 0, 16, 16, Rounding.TRUNCATE);

        TestImages.assertPixels(back, image, 0, "round");
        TestImages.assertPixels(truncated, image, 0, "truncate"); // k/255f*255f is exactly k for every k (SPEC 6.1)
    }

    @Test
    void batchSplitsIntoImagesInOrder() {
        BufferedImage a = TestImages.noise(3, 2, 1);
        BufferedImage b = TestImages.noise(3, 2, 2);

        List<BufferedImage> images = Postprocess.toImages(Preprocess.toTensor(List.of(a, b)), 2, 2, 3,
                Rounding.ROUND_HALF_EVEN);

        TestImages.assertPixels(images.get(1), b, 0, "second image");
        assertThatThrownBy(() -> Postprocess.toImages(new float[17], 1, 2, 3, Rounding.TRUNCATE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a batch of 1 images 3x2x3 needs 18 floats, got 17");
    }
}
