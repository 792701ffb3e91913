package dev.titok.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.titok.TitokException;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageCodecWriteTest {

    @TempDir
    Path dir;

    @Test
    void writtenPngReadsBackIdentically() {
        BufferedImage image = TestImages.noise(37, 23, 1);
        Path file = dir.resolve("sub/folder/out.png");

        ImageCodec.writePng(file, image);

        TestImages.assertPixels(ImageCodec.read(file), image, 0, "round trip");
        assertThat(filesIn(file.getParent())).containsExactly("out.png");
    }

    @Test
    void replacesAnExistingFileWithoutLeavingTemporaryFiles() throws IOException {
        Path file = dir.resolve("out.png");
        Files.writeString(file, "old content");

        ImageCodec.writePng(file, TestImages.noise(5, 4, 2));

        assertThat(ImageCodec.read(file).getWidth()).isEqualTo(5);
        assertThat(filesIn(dir)).containsExactly("out.png");
    }

    @Test
    void failedWriteLeavesNoFileBehind() throws IOException {
        Path notAFolder = Files.writeString(dir.resolve("plain-file"), "x");
        Path file = notAFolder.resolve("out.png");

        assertThatThrownBy(() -> ImageCodec.writePng(file, TestImages.noise(4, 4, 3)))
                .isInstanceOf(TitokException.class)
                .hasMessageStartingWith("cannot write " + file + ": ");
        assertThat(filesIn(dir)).containsExactly("plain-file");
    }

    @Test
    void refusesADirectoryAsTarget() {
        assertThatThrownBy(() -> ImageCodec.writePng(dir, TestImages.noise(4, 4, 4)))
                .isInstanceOf(TitokException.class)
                .hasMessage(dir + " is a directory: expected a file name for the PNG image");
    }

    @Test
    void encodePngDecodesBackAndDetectsAsPng() {
        BufferedImage image = TestImages.noise(9, 7, 5);

        byte[] png = ImageCodec.encodePng(image);

        assertThat(ImageFormat.detect(png)).contains(ImageFormat.PNG);
        TestImages.assertPixels(ImageCodec.readBytes(png, "memory"), image, 0, "encodePng");
    }

    @Test
    void toRgbDropsAlphaWithoutCompositing() {
        BufferedImage argb = new BufferedImage(2, 1, BufferedImage.TYPE_INT_ARGB);
        argb.setRGB(0, 0, 0x00123456); // fully transparent: colour kept, not white or black
        argb.setRGB(1, 0, 0x80ABCDEF);

        BufferedImage rgb = ImageCodec.toRgb(argb);

        assertThat(rgb.getType()).isEqualTo(BufferedImage.TYPE_INT_RGB);
        assertThat(rgb.getRGB(0, 0) & 0xFFFFFF).isEqualTo(0x123456);
        assertThat(rgb.getRGB(1, 0) & 0xFFFFFF).isEqualTo(0xABCDEF);
    }

    @Test
    void toRgbReadsGreySamplesWithoutColourManagement() {
        // getRGB on TYPE_BYTE_GRAY applies a gamma curve (linear grey to sRGB); Pillow repeats the raw value.
        BufferedImage grey = new BufferedImage(1, 1, BufferedImage.TYPE_BYTE_GRAY);
        grey.getRaster().setSample(0, 0, 0, 100);

        assertThat(ImageCodec.toRgb(grey).getRGB(0, 0) & 0xFFFFFF).isEqualTo(0x646464);
    }

    private static Stream<String> filesIn(Path folder) {
        try (Stream<Path> files = Files.list(folder)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList().stream();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
