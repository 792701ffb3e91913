package dev.titok.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Decoding against Pillow's {@code Image.open(f).convert("RGB")} ({@code decode_cases.txt}, written by
 * {@code make_reference.py}). Every format must be exact. For JPEG that holds where the JDK decodes with libjpeg-turbo,
 * as Pillow does (Debian's OpenJDK links the system library); a JDK with its own libjpeg 6b may round a few differently.
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
     * Pillow ignores an embedded ICC profile and returns the stored colours, while ImageIO's reader (TwelveMonkeys)
     * converts colour samples through the profile. The fixtures carry profiles that move colours far (a linear tone
     * curve, an ideal-ink CMYK profile), so the first assertion shows that each profile is really there and matters.
     * (decode_grey_icc.jpg is only in the table: for grey, TwelveMonkeys attaches the profile without converting.)
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"decode_rgb_icc.jpg", "decode_cmyk_icc.jpg", "decode_ycck_icc.jpg"})
    void embeddedIccProfileIsIgnoredLikePillow(String input) throws IOException {
        Path file = TestImages.fixture(input);
        BufferedImage pillow = ImageCodec.read(TestImages.fixture(input.replace(".jpg", ".expected.png")));
        assertThat(new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1)).contains("ICC_PROFILE\0");

        BufferedImage colourManaged = ImageCodec.toRgb(ImageIO.read(file.toFile()));
        assertThat(TestImages.maxAbsDiff(colourManaged, pillow)).as("ImageIO.read with the profile applied")
                .isGreaterThan(20);
        TestImages.assertPixels(ImageCodec.read(file), pillow, 0, input);
    }
}
