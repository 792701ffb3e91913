package dev.titok.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.color.ColorSpace;
import java.awt.color.ICC_Profile;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Decoding against Pillow's {@code Image.open(f).convert("RGB")} ({@code decode_cases.txt}, written by
 * {@code make_reference.py}). PNG, BMP and GIF must be exact; JPEG may differ by a level or two, because Pillow decodes
 * with libjpeg-turbo and Java with the JDK's libjpeg 6b (IDCT, upsampling and CMYK conversion rounding differ).
 */
class ImageCodecDecodeTest {

    static Stream<Arguments> cases() {
        return TestImages.table("decode_cases.txt").map(row -> Arguments.of(row[0], row[1], Integer.parseInt(row[2])));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void decodesLikePillow(String input, String expected, int tolerance) {
        BufferedImage actual = ImageCodec.read(TestImages.fixture(input));

        assertThat(actual.getType()).isEqualTo(BufferedImage.TYPE_INT_RGB);
        TestImages.assertPixels(actual, ImageCodec.read(TestImages.fixture(expected)), tolerance, input);
    }

    /**
     * A deliberate difference from Pillow: TwelveMonkeys (like the JDK reader) converts a JPEG with an embedded ICC
     * profile to sRGB, while Pillow returns the stored values. Here the profile is linear RGB, so mid-tones brighten.
     */
    @Test
    void embeddedIccProfileIsApplied() throws Exception {
        byte[] plain = Files.readAllBytes(TestImages.fixture("decode_baseline.jpg"));
        byte[] profile = ICC_Profile.getInstance(ColorSpace.CS_LINEAR_RGB).getData();

        BufferedImage tagged = ImageCodec.readBytes(withIccProfile(plain, profile), "linear-rgb.jpg");
        BufferedImage untagged = ImageCodec.readBytes(plain, "plain.jpg");

        int taggedGreen = (tagged.getRGB(0, 0) >> 8) & 0xFF;
        int untaggedGreen = (untagged.getRGB(0, 0) >> 8) & 0xFF;
        assertThat(taggedGreen).isGreaterThan(untaggedGreen + 10);
    }

    /** Inserts an APP2 "ICC_PROFILE" segment (one chunk) right after the start-of-image marker. */
    private static byte[] withIccProfile(byte[] jpeg, byte[] profile) {
        byte[] tag = "ICC_PROFILE\0".getBytes(StandardCharsets.US_ASCII);
        int length = 2 + tag.length + 2 + profile.length;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(jpeg, 0, 2);
        out.write(0xFF);
        out.write(0xE2);
        out.write(length >> 8);
        out.write(length & 0xFF);
        out.writeBytes(tag);
        out.write(1); // chunk 1
        out.write(1); // of 1
        out.writeBytes(profile);
        out.write(jpeg, 2, jpeg.length - 2);
        return out.toByteArray();
    }
}
