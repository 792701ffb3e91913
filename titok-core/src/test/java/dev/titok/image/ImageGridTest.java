package dev.titok.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageGridTest {

    private static final int M = ImageGrid.MARGIN;

    @Test
    void placesImagesRowByRowWithMargins() {
        BufferedImage a = TestImages.noise(10, 8, 1);
        BufferedImage b = TestImages.noise(10, 8, 2);
        BufferedImage c = TestImages.noise(6, 5, 3);

        BufferedImage grid = ImageGrid.compose(List.of(a, b, c), 2);

        assertThat(grid.getWidth()).isEqualTo(M + 2 * (10 + M));
        assertThat(grid.getHeight()).isEqualTo(M + 2 * (8 + M));
        assertThat(grid.getSubimage(M, M, 10, 8)).satisfies(cell -> TestImages.assertPixels(cell, a, 0, "a"));
        assertThat(grid.getSubimage(2 * M + 10, M, 10, 8)).satisfies(cell -> TestImages.assertPixels(cell, b, 0, "b"));
        assertThat(grid.getSubimage(M, 2 * M + 8, 6, 5)).satisfies(cell -> TestImages.assertPixels(cell, c, 0, "c"));
        assertThat(grid.getRGB(0, 0) & 0xFFFFFF).isEqualTo(0xFFFFFF);
        assertThat(grid.getRGB(M + 8, 2 * M + 8 + 6) & 0xFFFFFF).as("empty part of the small cell").isEqualTo(0xFFFFFF);
    }

    @Test
    void captionsAddARowOfTextUnderEachImage(@TempDir Path dir) {
        BufferedImage original = TestImages.noise(64, 64, 1);
        BufferedImage reconstruction = TestImages.noise(64, 64, 2);
        Path file = dir.resolve("pair.png");

        ImageGrid.write(file, List.of(original, reconstruction),
                List.of("original", "a caption far too long to fit under a 64 pixel image"), 2);

        BufferedImage grid = ImageCodec.read(file);
        assertThat(grid.getHeight()).isGreaterThan(M + 64 + M);
        assertThat(grid.getSubimage(M, M, 64, 64)).satisfies(cell -> TestImages.assertPixels(cell, original, 0, "image"));
        assertThat(hasDarkPixel(grid.getSubimage(M, M + 64, 64, grid.getHeight() - 2 * M - 64))).isTrue();
        assertThat(hasDarkPixel(grid.getSubimage(M + 64, 0, M, grid.getHeight()))).as("long caption is cut").isFalse();
    }

    @Test
    void rejectsInconsistentArguments() {
        List<BufferedImage> one = List.of(TestImages.noise(2, 2, 1));
        assertThatThrownBy(() -> ImageGrid.compose(List.of(), 2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ImageGrid.compose(one, List.of("a", "b"), 2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("2 captions for 1 images");
        assertThatThrownBy(() -> ImageGrid.compose(one, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    private static boolean hasDarkPixel(BufferedImage image) {
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                if ((image.getRGB(x, y) & 0xFF) < 128) {
                    return true;
                }
            }
        }
        return false;
    }
}
