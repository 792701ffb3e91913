package dev.titok.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Sizes, offsets and tensor layout; pixel values against Pillow are in {@link PreprocessPillowTest}. */
class PreprocessTest {

    @Test
    void shorterSideSizeTruncatesLikeTorchvision() {
        // int(256 * 500 / 375) = int(341.33) = 341; int(256 * 333 / 500) = int(170.496) = 170 (as a shorter side, 256)
        assertThat(size(Preprocess.resizeShorterSide(blank(500, 375), 256))).isEqualTo("341x256");
        assertThat(size(Preprocess.resizeShorterSide(blank(333, 500), 256))).isEqualTo("256x384");
        // int(256 * 299 / 3) = int(25514.67): truncation, not rounding
        assertThat(size(Preprocess.resizeShorterSide(blank(3, 299), 256))).isEqualTo("256x25514");
    }

    @Test
    void resizeToTheSameSizeIsAnUnchangedCopy() {
        BufferedImage image = TestImages.noise(40, 30, 1);

        BufferedImage same = Preprocess.resizeShorterSide(image, 30);

        assertThat(same).isNotSameAs(image);
        TestImages.assertPixels(same, image, 0, "no-op resize");
    }

    @Test
    void centerCropOffsetsRoundHalfToEven() {
        BufferedImage image = columnsAndRowsNumbered(7, 6);

        // (7 - 2) / 2 = 2.5 -> 2 and (6 - 3) / 2 = 1.5 -> 2: Python's round, not Math.round (3 and 2)
        BufferedImage two = Preprocess.centerCrop(image, 2);
        BufferedImage three = Preprocess.centerCrop(image, 3);

        assertThat(two.getRGB(0, 0) & 0xFFFFFF).isEqualTo(pixelAt(2, 2));
        assertThat(three.getRGB(0, 0) & 0xFFFFFF).isEqualTo(pixelAt(2, 2));
        BufferedImage one = Preprocess.centerCrop(columnsAndRowsNumbered(4, 4), 1); // 1.5 -> 2
        assertThat(one.getRGB(0, 0) & 0xFFFFFF).isEqualTo(pixelAt(2, 2));
    }

    @Test
    void centerCropPadsSmallImagesWithBlack() {
        BufferedImage image = columnsAndRowsNumbered(3, 2);

        BufferedImage crop = Preprocess.centerCrop(image, 6);

        // width: 1 column before, 2 after; height: 2 rows before, 2 after
        assertThat(crop.getRGB(0, 2) & 0xFFFFFF).isZero();
        assertThat(crop.getRGB(1, 2) & 0xFFFFFF).isEqualTo(pixelAt(0, 0));
        assertThat(crop.getRGB(3, 3) & 0xFFFFFF).isEqualTo(pixelAt(2, 1));
        assertThat(crop.getRGB(4, 3) & 0xFFFFFF).isZero();
    }

    @Test
    void toTensorIsChwOverTwoFiftyFiveInFloat32() {
        BufferedImage image = new BufferedImage(2, 1, BufferedImage.TYPE_INT_RGB);
        image.setRGB(0, 0, 0x01FF80);
        image.setRGB(1, 0, 0x0A0B0C);

        float[] tensor = Preprocess.toTensor(image);

        assertThat(tensor).containsExactly(1 / 255f, 10 / 255f, 1f, 11 / 255f, 128 / 255f, 12 / 255f);
        assertThat(Float.floatToIntBits(tensor[0])).isEqualTo(0x3B808081); // torch.tensor(1/255, dtype=float32)
    }

    @Test
    void evalTransformHasTheModelInputShape() {
        float[] tensor = Preprocess.evalTransform(TestImages.noise(97, 61, 2), 32);

        assertThat(tensor).hasSize(3 * 32 * 32);
        for (float v : tensor) {
            assertThat(v).isBetween(0f, 1f);
        }
    }

    @Test
    void batchConcatenatesImagesAndRejectsMixedSizes() {
        BufferedImage a = TestImages.noise(4, 3, 1);
        BufferedImage b = TestImages.noise(4, 3, 2);

        float[] batch = Preprocess.toTensor(List.of(a, b));

        float[] second = new float[36];
        System.arraycopy(batch, 36, second, 0, 36);
        assertThat(second).containsExactly(Preprocess.toTensor(b));
        assertThatThrownBy(() -> Preprocess.toTensor(List.of(a, TestImages.noise(3, 4, 3))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("image 1 is 3x4, expected 4x3 like image 0");
    }

    @Test
    void randomCropAndFlipAreReproducibleForASeed() {
        BufferedImage image = TestImages.noise(50, 40, 3);

        float[] first = Preprocess.trainTransform(image, 16, new SplittableRandom(7));
        float[] again = Preprocess.trainTransform(image, 16, new SplittableRandom(7));

        assertThat(again).containsExactly(first);
        assertThat(first).hasSize(3 * 16 * 16);
    }

    @Test
    void randomCropStaysInsideAndFollowsTheDrawnOffsets() {
        BufferedImage image = columnsAndRowsNumbered(9, 8);
        SplittableRandom random = new SplittableRandom(11);
        SplittableRandom replay = new SplittableRandom(11);

        BufferedImage crop = Preprocess.randomCrop(image, 5, random);

        int top = replay.nextInt(8 - 5 + 1);
        int left = replay.nextInt(9 - 5 + 1);
        assertThat(crop.getRGB(0, 0) & 0xFFFFFF).isEqualTo(pixelAt(left, top));
        assertThatThrownBy(() -> Preprocess.randomCrop(image, 9, random))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void horizontalFlipMirrorsColumns() {
        BufferedImage image = columnsAndRowsNumbered(3, 2);

        BufferedImage flipped = Preprocess.horizontalFlip(image);

        assertThat(flipped.getRGB(0, 1) & 0xFFFFFF).isEqualTo(pixelAt(2, 1));
        assertThat(flipped.getRGB(2, 0) & 0xFFFFFF).isEqualTo(pixelAt(0, 0));
    }

    @Test
    void acceptsSubImagesAndOtherImageTypes() {
        BufferedImage photo = TestImages.noise(30, 30, 4);
        BufferedImage sub = photo.getSubimage(5, 7, 10, 12);
        BufferedImage argb = new BufferedImage(10, 12, BufferedImage.TYPE_INT_ARGB);
        for (int y = 0; y < 12; y++) {
            for (int x = 0; x < 10; x++) {
                argb.setRGB(x, y, 0x7F000000 | photo.getRGB(x + 5, y + 7) & 0xFFFFFF);
            }
        }

        TestImages.assertPixels(Preprocess.centerCrop(sub, 10), Preprocess.centerCrop(argb, 10), 0, "sub-image");
        assertThat(Preprocess.toTensor(sub)).containsExactly(Preprocess.toTensor(argb));
    }

    private static String size(BufferedImage image) {
        return image.getWidth() + "x" + image.getHeight();
    }

    private static BufferedImage blank(int width, int height) {
        return new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    }

    /** Pixel (x, y) holds red = x + 1 and green = y + 1, so positions can be read back from colours. */
    private static BufferedImage columnsAndRowsNumbered(int width, int height) {
        BufferedImage image = blank(width, height);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, pixelAt(x, y));
            }
        }
        return image;
    }

    private static int pixelAt(int x, int y) {
        return ((x + 1) << 16) | ((y + 1) << 8);
    }
}
