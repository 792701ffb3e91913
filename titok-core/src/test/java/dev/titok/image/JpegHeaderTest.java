package dev.titok.image;

import static org.assertj.core.api.Assertions.assertThat;

import dev.titok.image.JpegHeader.ColourSpace;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The colour space guess of libjpeg-turbo's {@code default_decompress_parms}, on headers without image data. The
 * decoded pixels of each kind are checked against Pillow in {@link ImageCodecDecodeTest}.
 */
class JpegHeaderTest {

    private static final int SOF0 = 0xC0;

    @Test
    void oneComponentIsGrey() {
        assertThat(colourSpace(jpeg().frame(SOF0, 1))).contains(ColourSpace.GREY);
    }

    @Test
    void threeComponentsWithJfifAreYCbCrWhateverTheAdobeMarkerSays() {
        assertThat(colourSpace(jpeg().jfif().frame(SOF0, 1, 2, 3))).contains(ColourSpace.YCBCR);
        assertThat(colourSpace(jpeg().jfif().adobe(0).frame(SOF0, 'R', 'G', 'B'))).contains(ColourSpace.YCBCR);
    }

    @Test
    void threeComponentsWithoutJfifFollowTheAdobeTransform() {
        assertThat(colourSpace(jpeg().adobe(0).frame(SOF0, 1, 2, 3))).contains(ColourSpace.RGB);
        assertThat(colourSpace(jpeg().adobe(1).frame(SOF0, 'R', 'G', 'B'))).contains(ColourSpace.YCBCR);
        assertThat(colourSpace(jpeg().adobe(2).frame(SOF0, 1, 2, 3))).contains(ColourSpace.YCBCR);
        assertThat(colourSpace(jpeg().adobe(1).adobe(0).frame(SOF0, 1, 2, 3))).as("the last Adobe marker counts")
                .contains(ColourSpace.RGB);
    }

    @Test
    void threeComponentsWithoutMarkersAreRgbOnlyForTheIdsRgb() {
        assertThat(colourSpace(jpeg().frame(SOF0, 'R', 'G', 'B'))).contains(ColourSpace.RGB);
        assertThat(colourSpace(jpeg().frame(SOF0, 1, 2, 3))).contains(ColourSpace.YCBCR);
        assertThat(colourSpace(jpeg().frame(SOF0, 0, 1, 2))).contains(ColourSpace.YCBCR);
    }

    @Test
    void aJfifSegmentTooShortForLibjpegDoesNotCount() {
        byte[] shortJfif = "JFIF\0".getBytes(StandardCharsets.US_ASCII);
        assertThat(colourSpace(jpeg().segment(0xE0, shortJfif).adobe(0).frame(SOF0, 1, 2, 3))).contains(ColourSpace.RGB);
    }

    @Test
    void fourComponentsAreCmykUnlessAnAdobeMarkerSaysATransform() {
        assertThat(colourSpace(jpeg().frame(SOF0, 1, 2, 3, 4))).contains(ColourSpace.CMYK);
        assertThat(colourSpace(jpeg().adobe(0).frame(SOF0, 1, 2, 3, 4))).contains(ColourSpace.CMYK);
        assertThat(colourSpace(jpeg().adobe(2).frame(SOF0, 1, 2, 3, 4))).contains(ColourSpace.YCCK);
        assertThat(colourSpace(jpeg().adobe(1).frame(SOF0, 1, 2, 3, 4))).contains(ColourSpace.YCCK);
    }

    @Test
    void framesPillowCannotDecodeAreLeftToTheImageReader() {
        assertThat(colourSpace(jpeg().frame(SOF0, 1, 2))).as("two components").isEmpty();
        assertThat(colourSpace(jpeg().frame(0xC3, 1, 2, 3))).as("lossless").isEmpty();
        assertThat(JpegHeader.read(jpeg().frameWithPrecision(0xC1, 12, 1, 2, 3).bytes()).colourSpace()).as("12-bit").isEmpty();
    }

    @Test
    void scanOffsetPointsAtTheFirstScanMarker() {
        byte[] data = jpeg().jfif().frame(SOF0, 1, 2, 3).bytes();

        int scan = JpegHeader.read(data).scanOffset();
        assertThat(data[scan] & 0xFF).isEqualTo(0xFF);
        assertThat(data[scan + 1] & 0xFF).isEqualTo(0xDA);
        assertThat(JpegHeader.read(jpeg().jfif().bytesWithoutScan()).scanOffset()).isEqualTo(-1);
    }

    private static Optional<ColourSpace> colourSpace(Builder builder) {
        return JpegHeader.read(builder.bytes()).colourSpace();
    }

    private static Builder jpeg() {
        return new Builder();
    }

    /** Marker segments after SOI; {@link #bytes} appends a scan header and the end-of-image marker. */
    private static final class Builder {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Builder() {
            out.write(0xFF);
            out.write(0xD8);
        }

        Builder segment(int marker, byte[] data) {
            out.write(0xFF);
            out.write(marker);
            out.write((data.length + 2) >> 8);
            out.write((data.length + 2) & 0xFF);
            out.writeBytes(data);
            return this;
        }

        Builder jfif() {
            return segment(0xE0, "JFIF\0\1\1\0\0\1\0\1\0\0".getBytes(StandardCharsets.ISO_8859_1));
        }

        Builder adobe(int transform) {
            byte[] data = "Adobe\0\144\0\0\0\0\0".getBytes(StandardCharsets.ISO_8859_1);
            data[11] = (byte) transform;
            return segment(0xEE, data);
        }

        /** An 8-bit 16x16 frame with the given component ids, each sampled 1x1. */
        Builder frame(int marker, int... componentIds) {
            return frameWithPrecision(marker, 8, componentIds);
        }

        Builder frameWithPrecision(int marker, int precision, int... componentIds) {
            ByteArrayOutputStream sof = new ByteArrayOutputStream();
            sof.writeBytes(new byte[] {(byte) precision, 0, 16, 0, 16, (byte) componentIds.length});
            for (int id : componentIds) {
                sof.writeBytes(new byte[] {(byte) id, 0x11, 0});
            }
            return segment(marker, sof.toByteArray());
        }

        byte[] bytesWithoutScan() {
            return out.toByteArray();
        }

        byte[] bytes() {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            all.writeBytes(out.toByteArray());
            all.writeBytes(new byte[] {(byte) 0xFF, (byte) 0xDA, 0, 8, 1, 1, 0, 0, 63, 0, (byte) 0xFF, (byte) 0xD9});
            return all.toByteArray();
        }
    }
}
