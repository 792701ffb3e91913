package dev.titok.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/** Shared helpers: the fixture folder, the shared photographs, case tables and pixel comparison. */
final class TestImages {

    private TestImages() {
    }

    /** The folder of the Pillow fixtures written by {@code make_reference.py}. */
    static Path fixtures() {
        URL url = TestImages.class.getResource("/image/resize_cases.txt");
        assertThat(url).as("test resource image/resize_cases.txt").isNotNull();
        try {
            return Path.of(url.toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Path fixture(String name) {
        return fixtures().resolve(name);
    }

    /** The shared ImageNet photographs (system property {@code titok.images}); the calling test is skipped without them. */
    static Path photos() {
        Path dir = Path.of(System.getProperty("titok.images", "../shared/images"));
        Assumptions.assumeTrue(Files.isDirectory(dir),
                "shared photographs not found at " + dir.toAbsolutePath() + " (set -Dtitok.images): skipped");
        return dir;
    }

    /** The rows of a whitespace-separated case table, without comments. */
    static Stream<String[]> table(String name) {
        try {
            List<String> lines = Files.readAllLines(fixture(name));
            return lines.stream().filter(line -> !line.isBlank() && !line.startsWith("#")).map(line -> line.split("\\s+"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A deterministic pseudo-random RGB image. */
    static BufferedImage noise(int width, int height, long seed) {
        java.util.Random random = new java.util.Random(seed);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        return image;
    }

    /** The largest difference of one channel between two same-sized images. */
    static int maxAbsDiff(BufferedImage actual, BufferedImage expected) {
        assertSameSize(actual, expected);
        int max = 0;
        for (int y = 0; y < actual.getHeight(); y++) {
            for (int x = 0; x < actual.getWidth(); x++) {
                max = Math.max(max, channelDiff(actual.getRGB(x, y), expected.getRGB(x, y)));
            }
        }
        return max;
    }

    /** Asserts equal size and every channel of every pixel within {@code tolerance}; reports the first offender. */
    static void assertPixels(BufferedImage actual, BufferedImage expected, int tolerance, String label) {
        assertSameSize(actual, expected);
        int mismatches = 0;
        String first = null;
        for (int y = 0; y < actual.getHeight(); y++) {
            for (int x = 0; x < actual.getWidth(); x++) {
                int a = actual.getRGB(x, y) & 0xFFFFFF;
                int e = expected.getRGB(x, y) & 0xFFFFFF;
                if (channelDiff(a, e) > tolerance) {
                    mismatches++;
                    if (first == null) {
                        first = String.format("(%d,%d): got %06X, expected %06X", x, y, a, e);
                    }
                }
            }
        }
        assertThat(mismatches).as("%s: pixels off by more than %d, first at %s", label, tolerance, first).isZero();
    }

    private static void assertSameSize(BufferedImage actual, BufferedImage expected) {
        assertThat(actual.getWidth() + "x" + actual.getHeight()).as("size")
                .isEqualTo(expected.getWidth() + "x" + expected.getHeight());
    }

    private static int channelDiff(int a, int b) {
        int max = 0;
        for (int shift = 0; shift <= 16; shift += 8) {
            max = Math.max(max, Math.abs(((a >> shift) & 0xFF) - ((b >> shift) & 0xFF)));
        }
        return max;
    }
}
