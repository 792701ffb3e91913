package dev.titok.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.titok.TitokException;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real Fashion-MNIST files (system property {@code titok.datasets}) and crafted IDX files. */
class IdxDatasetTest {

    @TempDir
    Path dir;

    private static Path fashionMnist() {
        Path root = Path.of(System.getProperty("titok.datasets", "../shared/datasets")).resolve("fashion-mnist");
        Assumptions.assumeTrue(Files.isRegularFile(root.resolve("t10k-images-idx3-ubyte.gz")),
                "Fashion-MNIST not found at " + root.toAbsolutePath() + " (set -Dtitok.datasets=DIR): skipped");
        return root;
    }

    @Test
    void fashionMnistTestSetHasAThousandImagesPerClass() {
        IdxDataset test = IdxDataset.fashionMnist(fashionMnist(), IdxDataset.Split.TEST);

        assertThat(test.size()).isEqualTo(10_000);
        assertThat(test.imageSize()).isEqualTo(28);
        assertThat(test.numClasses()).isEqualTo(10);
        assertThat(test.classNames()).startsWith("T-shirt/top", "Trouser").endsWith("Ankle boot");
        int[] histogram = new int[10];
        for (int i = 0; i < test.size(); i++) {
            histogram[test.label(i)]++;
        }
        assertThat(histogram).containsOnly(1000);
    }

    @Test
    void fashionMnistTrainSetLoadsSixtyThousandImages() {
        IdxDataset train = IdxDataset.fashionMnist(fashionMnist(), IdxDataset.Split.TRAIN);

        assertThat(train.size()).isEqualTo(60_000);
        assertThat(train.get(59_999, new SplittableRandom(0)).pixels()).hasSize(3 * 28 * 28);
    }

    @Test
    void meanPixelMatchesAPlainReadingOfTheFile() throws IOException {
        Path root = fashionMnist();
        double expected = meanByteOfImages(root.resolve("t10k-images-idx3-ubyte.gz")) / 255.0;
        IdxDataset test = IdxDataset.fashionMnist(root, IdxDataset.Split.TEST);

        double sum = 0;
        for (int i = 0; i < test.size(); i++) {
            Example example = test.get(i, new SplittableRandom(i));
            assertThat(example.label()).isEqualTo(test.label(i));
            for (float v : example.pixels()) {
                sum += v;
            }
        }
        assertThat(sum / (test.size() * 3.0 * 28 * 28)).isCloseTo(expected, within(1e-6));
        assertThat(expected).isBetween(0.2, 0.4); // Fashion-MNIST's mean is about 0.286
    }

    @Test
    void paddingTo32KeepsEveryPixelAndRepeatsGrey() {
        IdxDataset test = IdxDataset.fashionMnist(fashionMnist(), IdxDataset.Split.TEST);
        IdxDataset padded = test.withSize(32);

        float[] original = test.get(7, new SplittableRandom(0)).pixels();
        float[] pixels = padded.get(7, new SplittableRandom(0)).pixels();

        assertThat(padded.fit()).isEqualTo(IdxDataset.Fit.PAD);
        assertThat(pixels).hasSize(3 * 32 * 32);
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < 32; y++) {
                for (int x = 0; x < 32; x++) {
                    boolean inside = y >= 2 && y < 30 && x >= 2 && x < 30;
                    float expected = inside ? original[(y - 2) * 28 + (x - 2)] : 0f;
                    assertThat(pixels[c * 1024 + y * 32 + x]).as("c%d y%d x%d", c, y, x).isEqualTo(expected);
                }
            }
        }
    }

    @Test
    void largerSizesAreResizedBicubically() {
        IdxDataset test = IdxDataset.fashionMnist(fashionMnist(), IdxDataset.Split.TEST);
        IdxDataset resized = test.withSize(64);

        float[] pixels = resized.get(3, new SplittableRandom(0)).pixels();

        assertThat(resized.fit()).isEqualTo(IdxDataset.Fit.RESIZE);
        assertThat(pixels).hasSize(3 * 64 * 64);
        assertThat(Arrays.copyOfRange(pixels, 0, 4096)).isEqualTo(Arrays.copyOfRange(pixels, 4096, 8192));
        assertThat(mean(pixels)).isCloseTo(mean(test.get(3, null).pixels()), within(0.01));
    }

    @Test
    void randomFlipMirrorsRowsForHalfTheDraws() throws IOException {
        IdxDataset data = IdxDataset.open(writeImages(dir.resolve("i"), 1, 2, 2, new byte[] {1, 2, 3, 4}))
                .withRandomFlip(true);

        int flipped = 0;
        for (int seed = 0; seed < 200; seed++) {
            boolean mirror = new SplittableRandom(seed).nextDouble() < 0.5;
            float[] pixels = data.get(0, new SplittableRandom(seed)).pixels();
            float[] red = mirror ? new float[] {2 / 255f, 1 / 255f, 4 / 255f, 3 / 255f}
                    : new float[] {1 / 255f, 2 / 255f, 3 / 255f, 4 / 255f};
            assertThat(pixels).containsExactly(concat(red, red, red));
            flipped += mirror ? 1 : 0;
        }
        assertThat(flipped).isBetween(70, 130);
    }

    @Test
    void readsPlainFilesAndOddPaddingPutsTheExtraPixelAfter() throws IOException {
        Path images = writeImages(dir.resolve("images"), 2, 2, 2, new byte[] {10, 20, 30, 40, 50, 60, 70, (byte) 255});
        Path labels = writeLabels(dir.resolve("labels"), 3, 1);

        IdxDataset data = IdxDataset.open(images, labels).withSize(5, IdxDataset.Fit.PAD);

        assertThat(data.numClasses()).isEqualTo(4);
        assertThat(data.classNames()).isEmpty();
        Example second = data.get(1, null);
        assertThat(second.label()).isEqualTo(1);
        float[] red = Arrays.copyOf(second.pixels(), 25);
        // (5 - 2) / 2 = 1 row and column before, 2 after
        assertThat(red[1 * 5 + 1]).isEqualTo(50 / 255f);
        assertThat(red[2 * 5 + 2]).isEqualTo(1f);
        assertThat(red[0]).isZero();
        assertThat(red[3 * 5 + 3]).isZero();
    }

    @Test
    void unlabeledImagesHaveNoClasses() throws IOException {
        IdxDataset data = IdxDataset.open(writeImages(dir.resolve("images"), 1, 1, 1, new byte[] {9}));

        assertThat(data.numClasses()).isZero();
        assertThat(data.get(0, null).label()).isEqualTo(Example.UNLABELED);
    }

    @Test
    void swappedFilesAreNamedInTheError() throws IOException {
        Path images = writeImages(dir.resolve("images.gz"), 2, 1, 1, new byte[] {1, 2});
        Path labels = writeLabels(dir.resolve("labels.gz"), 0, 1);

        assertThatThrownBy(() -> IdxDataset.open(labels, images))
                .isInstanceOf(TitokException.class)
                .hasMessage(labels + ": expected an IDX images file (magic 2051 = 00 00 08 03), found a labels file (magic 2049)");
    }

    @Test
    void foreignFilesAreNotIdx() throws IOException {
        Path text = Files.writeString(dir.resolve("readme"), "hello");

        assertThatThrownBy(() -> IdxDataset.open(text))
                .hasMessage(text + " is not an IDX file: expected an IDX images file (magic 2051 = 00 00 08 03), "
                        + "found bytes 68 65 6c 6c");
    }

    @Test
    void otherValueTypesAreRefused() throws IOException {
        Path floats = Files.write(dir.resolve("floats"), new byte[] {0, 0, 0x0D, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0});

        assertThatThrownBy(() -> IdxDataset.open(floats))
                .hasMessageContaining("found value type 0x0d (only unsigned bytes, 0x08, are supported)");
    }

    @Test
    void truncatedAndOverlongFilesAreRefused() throws IOException {
        Path truncated = writeImages(dir.resolve("short"), 3, 2, 2, new byte[11]);
        Path overlong = writeImages(dir.resolve("long"), 1, 2, 2, new byte[5]);

        assertThatThrownBy(() -> IdxDataset.open(truncated)).isInstanceOf(TitokException.class)
                .hasMessage(truncated + " is truncated: the header [3, 2, 2] announces 12 bytes of values, found 11");
        assertThatThrownBy(() -> IdxDataset.open(overlong))
                .hasMessage(overlong + " has trailing data: the header [1, 2, 2] announces 4 bytes of values, found 5");
    }

    @Test
    void truncatedGzipIsRefused() throws IOException {
        Path images = writeImages(dir.resolve("images.gz"), 50, 4, 4, new byte[800]);
        byte[] whole = Files.readAllBytes(images);
        Files.write(images, Arrays.copyOf(whole, whole.length / 2));

        assertThatThrownBy(() -> IdxDataset.open(images)).isInstanceOf(TitokException.class)
                .hasMessageStartingWith(images + " is a truncated or corrupt gzip file");
    }

    @Test
    void labelCountMustMatchImageCount() throws IOException {
        Path images = writeImages(dir.resolve("images.gz"), 2, 1, 1, new byte[] {1, 2});
        Path labels = writeLabels(dir.resolve("labels.gz"), 0, 1, 2);

        assertThatThrownBy(() -> IdxDataset.open(images, labels))
                .hasMessage(labels + " holds 3 labels but " + images + " holds 2 images: expected one label per image");
    }

    @Test
    void missingFilesAndTooFewClassNamesAreReported() throws IOException {
        Path images = writeImages(dir.resolve("images.gz"), 2, 1, 1, new byte[] {1, 2});
        Path labels = writeLabels(dir.resolve("labels.gz"), 0, 5);
        IdxDataset data = IdxDataset.open(images, labels);

        assertThatThrownBy(() -> IdxDataset.fashionMnist(dir, IdxDataset.Split.TRAIN))
                .hasMessage(dir.resolve("train-images-idx3-ubyte.gz") + " does not exist: expected an IDX images file "
                        + "(magic 2051 = 00 00 08 03)");
        assertThatThrownBy(() -> data.withClassNames(java.util.List.of("a", "b")))
                .hasMessage(labels + " holds label 5, expected labels below the 2 class names given");
        assertThatThrownBy(() -> data.withSize(0)).isInstanceOf(IllegalArgumentException.class);
    }

    /** The mean byte of all images, read with nothing but the JDK. */
    private static double meanByteOfImages(Path gz) throws IOException {
        try (DataInputStream in = new DataInputStream(new GZIPInputStream(Files.newInputStream(gz)))) {
            assertThat(in.readInt()).isEqualTo(2051);
            long count = (long) in.readInt() * in.readInt() * in.readInt();
            long sum = 0;
            byte[] buffer = new byte[1 << 16];
            long read = 0;
            for (int n; (n = in.read(buffer)) > 0; read += n) {
                for (int i = 0; i < n; i++) {
                    sum += buffer[i] & 0xFF;
                }
            }
            assertThat(read).isEqualTo(count);
            return (double) sum / count;
        }
    }

    private static float[] concat(float[]... parts) {
        float[] all = new float[0];
        for (float[] part : parts) {
            int at = all.length;
            all = Arrays.copyOf(all, at + part.length);
            System.arraycopy(part, 0, all, at, part.length);
        }
        return all;
    }

    private static double mean(float[] values) {
        double sum = 0;
        for (float v : values) {
            sum += v;
        }
        return sum / values.length;
    }

    /** An images file (magic 2051); gzip-compressed when the name ends in .gz. */
    static Path writeImages(Path file, int count, int rows, int cols, byte[] pixels) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(16).putInt(2051).putInt(count).putInt(rows).putInt(cols);
        return write(file, header.array(), pixels);
    }

    private static Path writeLabels(Path file, int... labels) throws IOException {
        byte[] bytes = new byte[labels.length];
        for (int i = 0; i < labels.length; i++) {
            bytes[i] = (byte) labels[i];
        }
        return write(file, ByteBuffer.allocate(8).putInt(2049).putInt(labels.length).array(), bytes);
    }

    private static Path write(Path file, byte[] header, byte[] body) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(file.toString().endsWith(".gz") ? new GZIPOutputStream(bytes) : bytes)) {
            out.write(header);
            out.write(body);
        }
        return Files.write(file, bytes.toByteArray());
    }
}
