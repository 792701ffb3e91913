package dev.titok.image;

import dev.titok.image.JpegHeader.ColourSpace;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;

/**
 * Turns a JPEG's decoded samples, before any colour conversion, into the pixels of Pillow's
 * {@code Image.open(f).convert("RGB")}.
 *
 * <p>The samples come from {@code ImageReader.readRaster}, for which the JDK's reader asks libjpeg for the stream's own
 * colour space: the IDCT and the chroma upsampling are libjpeg's (its default "fancy" triangle filter, as in Pillow),
 * but no colour conversion and no ICC profile is applied. Pillow ignores embedded profiles too, while
 * {@code ImageReader.read} honours them; that is why JPEGs take this path. The conversions are then Pillow's:
 * <ul>
 *   <li>YCbCr to RGB with libjpeg's integer tables (jdcolor.c, {@code build_ycc_rgb_table} and
 *       {@code ycc_rgb_convert}), which Pillow requests as output colour space RGB;</li>
 *   <li>YCCK to CMYK as libjpeg's {@code ycck_cmyk_convert}: the YCbCr part converted as above and inverted, K kept;</li>
 *   <li>CMYK to RGB as Pillow: it always assumes Adobe's inverted samples (raw mode "CMYK;I", every sample
 *       {@code 255 - v}) and then applies {@code cmyk2rgb} of Convert.c,
 *       {@code (255 - k) - round((255 - k) * c / 255)} per channel, with its rounded division by 255;</li>
 *   <li>RGB and grey samples are taken as they are.</li>
 * </ul>
 */
final class JpegColours {

    /** libjpeg's fixed-point precision for the colour tables. */
    private static final int SCALEBITS = 16;
    private static final int ONE_HALF = 1 << (SCALEBITS - 1);
    private static final int CENTER = 128;

    /** Indexed by the Cb or Cr sample 0..255: libjpeg's Cr_r_tab, Cb_b_tab, Cr_g_tab and Cb_g_tab (rounding included). */
    private static final int[] CR_TO_R = new int[256];
    private static final int[] CB_TO_B = new int[256];
    private static final int[] CR_TO_G = new int[256];
    private static final int[] CB_TO_G = new int[256];

    static {
        for (int i = 0; i < 256; i++) {
            int x = i - CENTER;
            CR_TO_R[i] = (fix(1.40200) * x + ONE_HALF) >> SCALEBITS;
            CB_TO_B[i] = (fix(1.77200) * x + ONE_HALF) >> SCALEBITS;
            CR_TO_G[i] = -fix(0.71414) * x;
            CB_TO_G[i] = -fix(0.34414) * x + ONE_HALF; // the rounding of the green sum is folded in here, as in libjpeg
        }
    }

    private JpegColours() {
    }

    /**
     * @param samples the decoded 8-bit samples: 1, 3 or 4 bands in the order of the frame's components
     * @param space   how libjpeg interprets them ({@link JpegHeader#colourSpace})
     * @return a new TYPE_INT_RGB image
     */
    static BufferedImage toRgb(Raster samples, ColourSpace space) {
        int width = samples.getWidth();
        int height = samples.getHeight();
        int bands = samples.getNumBands();
        int[] row = new int[width * bands];
        int[] pixels = new int[width * height];
        for (int y = 0; y < height; y++) {
            samples.getPixels(samples.getMinX(), samples.getMinY() + y, width, 1, row);
            for (int x = 0, s = 0; x < width; x++, s += bands) {
                pixels[y * width + x] = switch (space) {
                    case GREY -> RgbPixels.pack(row[s], row[s], row[s]);
                    case RGB -> RgbPixels.pack(row[s], row[s + 1], row[s + 2]);
                    case YCBCR -> yccToRgb(row[s], row[s + 1], row[s + 2]);
                    case CMYK -> pillowCmykToRgb(row[s], row[s + 1], row[s + 2], row[s + 3]);
                    case YCCK -> ycckToRgb(row[s], row[s + 1], row[s + 2], row[s + 3]);
                };
            }
        }
        return RgbPixels.image(width, height, pixels);
    }

    /** libjpeg's ycc_rgb_convert: table look-ups, then clamping to 0..255 (its range_limit). */
    private static int yccToRgb(int luma, int cb, int cr) {
        int red = clamp(luma + CR_TO_R[cr]);
        int green = clamp(luma + ((CB_TO_G[cb] + CR_TO_G[cr]) >> SCALEBITS));
        int blue = clamp(luma + CB_TO_B[cb]);
        return RgbPixels.pack(red, green, blue);
    }

    /** libjpeg's ycck_cmyk_convert gives C, M, Y = 255 - (the YCbCr part as RGB) and K unchanged; then Pillow's CMYK. */
    private static int ycckToRgb(int luma, int cb, int cr, int black) {
        int rgb = yccToRgb(luma, cb, cr);
        return pillowCmykToRgb(255 - RgbPixels.red(rgb), 255 - RgbPixels.green(rgb), 255 - RgbPixels.blue(rgb), black);
    }

    /** Pillow's "CMYK;I" unpacking (255 - v) followed by its cmyk2rgb, on the samples as stored. */
    private static int pillowCmykToRgb(int cyan, int magenta, int yellow, int black) {
        int notBlack = black; // 255 - k with k = 255 - black after Pillow's inversion
        return RgbPixels.pack(
                notBlack - mulDiv255(255 - cyan, notBlack),
                notBlack - mulDiv255(255 - magenta, notBlack),
                notBlack - mulDiv255(255 - yellow, notBlack));
    }

    /** Pillow's MULDIV255: {@code a * b / 255} rounded to nearest, with shifts instead of a division. */
    private static int mulDiv255(int a, int b) {
        int t = a * b + 128;
        return ((t >> 8) + t) >> 8;
    }

    /** libjpeg's FIX: a coefficient in 16.16 fixed point, rounded. */
    private static int fix(double coefficient) {
        return (int) (coefficient * (1 << SCALEBITS) + 0.5);
    }

    private static int clamp(int value) {
        return Math.max(0, Math.min(255, value));
    }
}
