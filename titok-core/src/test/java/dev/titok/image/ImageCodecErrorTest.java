package dev.titok.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.titok.TitokException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every failure is a one-line {@link TitokException} that names the file, what was expected and what was found. */
class ImageCodecErrorTest {

    @TempDir
    Path dir;

    @Test
    void emptyFile() throws IOException {
        Path file = Files.write(dir.resolve("empty.png"), new byte[0]);

        assertFails(file).hasMessage(file + " is empty: expected PNG, JPEG, BMP or GIF data, found 0 bytes");
    }

    @Test
    void textFile() throws IOException {
        Path file = Files.writeString(dir.resolve("x.txt"), "hello, not a picture\n");

        assertFails(file).hasMessage(
                file + " is not an image: expected PNG, JPEG, BMP or GIF data, found bytes 68 65 6C 6C (text)");
    }

    @Test
    void zipFileNamedLikeAnImage() throws IOException {
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(zip)) {
            out.putNextEntry(new ZipEntry("a.png"));
            out.write(Files.readAllBytes(TestImages.fixture("decode_rgb8.png")));
        }
        Path file = Files.write(dir.resolve("photo.png"), zip.toByteArray());

        assertFails(file).hasMessage(
                file + " is not an image: expected PNG, JPEG, BMP or GIF data, found bytes 50 4B 03 04 (zip)");
    }

    @Test
    void unsupportedFormatIsNamed() {
        byte[] webp = "RIFF\0\0\0\0WEBPVP8 ".getBytes(StandardCharsets.ISO_8859_1);

        assertThatThrownBy(() -> ImageCodec.readBytes(webp, "upload.webp"))
                .isInstanceOf(TitokException.class)
                .hasMessageEndingWith("found bytes 52 49 46 46 (WebP, not supported)");
    }

    @Test
    void pngWithCutImageData() throws IOException {
        Path file = cut("decode_rgb8.png", 2);

        assertFails(file).hasMessageStartingWith(file + " is truncated or corrupt: its PNG data cannot be decoded (")
                .hasMessageContaining("ZLIB");
    }

    @Test
    void jpegCutInHalf() throws IOException {
        Path file = cut("decode_baseline.jpg", 2);

        assertFails(file).hasMessageStartingWith(file + " is truncated: expected JPEG data that ends with an"
                + " end-of-image marker (FF D9) after the image data, found ");
    }

    @Test
    void jpegMissingOnlyItsEndMarker() throws IOException {
        byte[] jpeg = Files.readAllBytes(TestImages.fixture("decode_progressive.jpg"));
        Path file = Files.write(dir.resolve("no-eoi.jpg"), Arrays.copyOf(jpeg, jpeg.length - 2));

        assertFails(file).hasMessageContaining("is truncated");
    }

    @Test
    void endMarkerOfAnExifThumbnailDoesNotHideTruncation() throws IOException {
        byte[] jpeg = Files.readAllBytes(TestImages.fixture("decode_baseline.jpg"));
        // An APP1 segment whose payload, like an embedded thumbnail, contains FF D9 before the main image.
        byte[] app1 = {(byte) 0xFF, (byte) 0xE1, 0, 8, 'E', 'x', (byte) 0xFF, (byte) 0xD9, 0, 0};
        byte[] withThumbnail = new byte[jpeg.length + app1.length];
        System.arraycopy(jpeg, 0, withThumbnail, 0, 2);
        System.arraycopy(app1, 0, withThumbnail, 2, app1.length);
        System.arraycopy(jpeg, 2, withThumbnail, 2 + app1.length, jpeg.length - 2);

        assertThat(ImageCodec.readBytes(withThumbnail, "complete.jpg").getWidth()).isEqualTo(24);
        assertThatThrownBy(() -> ImageCodec.readBytes(Arrays.copyOf(withThumbnail, withThumbnail.length / 2), "cut.jpg"))
                .isInstanceOf(TitokException.class)
                .hasMessageStartingWith("cut.jpg is truncated");
    }

    @Test
    void bmpAndGifCutInHalf() throws IOException {
        assertFails(cut("decode_rgb24.bmp", 2)).hasMessageContaining("is truncated or corrupt: its BMP data");
        assertFails(cut("decode_anim.gif", 2)).hasMessageContaining("is truncated or corrupt: its GIF data");
    }

    @Test
    void headerClaimingAHugeImageIsRefusedBeforeDecoding() {
        byte[] png = Arrays.copyOf(pngSignatureAndHeader(20_000, 20_000), 64);

        assertThatThrownBy(() -> ImageCodec.readBytes(png, "bomb.png"))
                .isInstanceOf(TitokException.class)
                .hasMessage("bomb.png is too large: 20000x20000 pixels, more than the 178956970 that Pillow accepts"
                        + " (a possible decompression bomb)");
    }

    @Test
    void directory() {
        assertFails(dir).hasMessage(dir + " is a directory: expected an image file");
    }

    @Test
    void missingFile() {
        Path file = dir.resolve("missing.jpg");

        assertFails(file).hasMessage(file + " does not exist: expected an image file");
    }

    @Test
    void unreadableFile() throws IOException {
        Path file = Files.copy(TestImages.fixture("decode_rgb8.png"), dir.resolve("locked.png"));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("---------"));
        Assumptions.assumeFalse(Files.isReadable(file), "running as root: every file is readable, skipped");

        assertFails(file).hasMessage("cannot read " + file + ": permission denied");
    }

    @Test
    void readBytesNamesTheDataAsTold() {
        assertThatThrownBy(() -> ImageCodec.readBytes(new byte[0], "upload 'cat.jpg'"))
                .isInstanceOf(TitokException.class)
                .hasMessageStartingWith("upload 'cat.jpg' is empty");
    }

    private Path cut(String fixture, int divisor) throws IOException {
        byte[] data = Files.readAllBytes(TestImages.fixture(fixture));
        return Files.write(dir.resolve("cut-" + fixture), Arrays.copyOf(data, data.length / divisor));
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> assertFails(Path file) {
        return assertThatThrownBy(() -> ImageCodec.read(file))
                .isInstanceOf(TitokException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    /** PNG signature + IHDR (8-bit RGB) for the given size; nothing after it. */
    private static byte[] pngSignatureAndHeader(int width, int height) {
        java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocate(8 + 25);
        buffer.put(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        buffer.putInt(13).put("IHDR".getBytes(StandardCharsets.US_ASCII)).putInt(width).putInt(height);
        buffer.put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(buffer.array(), 12, 17);
        buffer.putInt((int) crc.getValue());
        return buffer.array();
    }
}
