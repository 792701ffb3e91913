package dev.titok.image;

import com.twelvemonkeys.imageio.plugins.bmp.BMPImageReaderSpi;
import com.twelvemonkeys.imageio.plugins.jpeg.JPEGImageReaderSpi;
import dev.titok.TitokException;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.spi.IIORegistry;
import javax.imageio.spi.ImageReaderSpi;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Reads images into 8-bit RGB and writes PNG files.
 *
 * <p>Decoded images are {@link BufferedImage#TYPE_INT_RGB}: the type every Java imaging API accepts (AWT drawing for
 * {@link ImageGrid}, ImageIO for writing, a caller's own images), while {@link Preprocess} still gets at the packed pixel
 * array without a copy per pixel. A separate RGB record would force a conversion at each of those borders.
 *
 * <p>The format is recognised by its leading bytes, never by the file name: PNG, JPEG (via TwelveMonkeys, so CMYK and
 * YCCK files decode too), BMP and GIF (first frame). Pixels are those of Pillow's {@code Image.open(f).convert("RGB")},
 * the loader of the official training and evaluation code:
 * <ul>
 *   <li>alpha is dropped, not composited: a fully transparent pixel keeps its stored colour;</li>
 *   <li>palette images map through the palette, grey images repeat the grey value in R, G and B, sub-byte grey is
 *       scaled to 0..255 and 5/6-bit BMP channels become {@code v * 255 / (2^bits - 1)} (truncated), as Pillow unpacks them;</li>
 *   <li>16-bit PNG colour and grey+alpha keep the high byte of each sample (Pillow unpacks them that way), while
 *       16-bit grey PNGs, which Pillow opens as 32-bit integer mode "I", are clipped to 0..255: every value above 255
 *       becomes white. Odd, but it is what the official pipeline sees;</li>
 *   <li>JPEG samples are decoded by the JDK's libjpeg (through TwelveMonkeys) without colour conversion, then
 *       converted as libjpeg and Pillow convert them: YCbCr with libjpeg's integer tables, CMYK and YCCK with
 *       Pillow's own formula, the colour space guessed from the JFIF and Adobe markers as libjpeg guesses it.
 *       Where the JDK links libjpeg-turbo, as Debian's OpenJDK does and as Pillow does, the pixels are Pillow's
 *       exactly; a JDK built with its bundled libjpeg 6b may round some pixels differently;</li>
 *   <li>embedded colour profiles (JPEG, PNG, BMP) and PNG gamma are ignored, as Pillow ignores them.</li>
 * </ul>
 *
 * <p>Every failure is a {@link TitokException} whose one-line message names the file and says what was expected and
 * what was found. Like Pillow, images of more than 178,956,970 pixels are refused as decompression bombs.
 * All methods are thread-safe.
 */
public final class ImageCodec {

    /** Pillow's decompression-bomb limit: {@code 2 * Image.MAX_IMAGE_PIXELS}; larger images raise an error there. */
    static final long MAX_PIXELS = 2L * 89_478_485L;

    /** The largest file {@link #read} accepts: the largest Java byte array. */
    private static final long MAX_FILE_BYTES = Integer.MAX_VALUE - 8;

    /** Offset of the bit depth in a PNG file: signature (8), IHDR length (4) and type (4), width (4), height (4). */
    private static final int PNG_BIT_DEPTH_OFFSET = 24;
    private static final int PNG_COLOR_TYPE_GREY = 0;

    static {
        // ImageIO discovers plugins through the context class loader of the first thread that uses it; in Spark
        // executors or servlet containers that loader may not see TwelveMonkeys, so its readers are registered here.
        registerIfAbsent(new JPEGImageReaderSpi());
        registerIfAbsent(new BMPImageReaderSpi());
    }

    private ImageCodec() {
    }

    /**
     * Whether a file starts like an image this codec decodes (PNG, JPEG, BMP, GIF), judged by content only.
     * Used to skip non-image files when walking a folder; an unreadable file counts as no image.
     */
    public static boolean looksLikeImage(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return ImageFormat.detect(in.readNBytes(8)).isPresent();
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Whether data held in memory (a record of a dataset file) starts like an image this codec decodes, judged as
     * {@link #looksLikeImage(Path)} judges a file.
     */
    public static boolean looksLikeImage(byte[] data) {
        return ImageFormat.detect(data).isPresent();
    }

    /**
     * Reads an image file as 8-bit RGB.
     *
     * @param file a PNG, JPEG, BMP or GIF file, whatever its name
     * @return a new TYPE_INT_RGB image
     * @throws TitokException when the file is missing, a directory, unreadable, empty, not an image, truncated or corrupt
     */
    public static BufferedImage read(Path file) {
        return readBytes(readAll(file), file.toString());
    }

    /**
     * Decodes an image held in memory (an upload, a record of a dataset file) as 8-bit RGB.
     *
     * @param data            the encoded image: PNG, JPEG, BMP or GIF
     * @param nameForMessages how error messages call the data, e.g. the file name or "upload photo.jpg"
     * @return a new TYPE_INT_RGB image
     * @throws TitokException when the data is empty, not an image, truncated or corrupt
     */
    public static BufferedImage readBytes(byte[] data, String nameForMessages) {
        if (data.length == 0) {
            throw new TitokException(
                    nameForMessages + " is empty: expected " + ImageFormat.EXPECTED + ", found 0 bytes");
        }
        ImageFormat format = ImageFormat.detect(data).orElseThrow(() -> new TitokException(nameForMessages
                + " is not an image: expected " + ImageFormat.EXPECTED + ", found bytes "
                + ImageFormat.describeLeadingBytes(data)));
        if (format == ImageFormat.JPEG) {
            JpegHeader header = JpegHeader.read(data);
            JpegCheck.requireComplete(data, header, nameForMessages);
            Optional<JpegHeader.ColourSpace> colourSpace = header.colourSpace();
            if (colourSpace.isPresent()) {
                // The raw samples, not read(): that would apply an embedded ICC profile, which Pillow ignores.
                return decode(data, format, nameForMessages,
                        reader -> JpegColours.toRgb(reader.readRaster(0, null), colourSpace.get()));
            }
        }
        BufferedImage decoded = decode(data, format, nameForMessages, reader -> reader.read(0));
        return toRgb(decoded, format == ImageFormat.PNG && isSixteenBitGreyPng(data), nameForMessages);
    }

    /**
     * Converts any image to TYPE_INT_RGB the way Pillow's {@code convert("RGB")} treats the equivalent Pillow image:
     * alpha dropped (not composited), palette looked up, grey repeated, samples narrowed to 8 bits (a 16-bit grey
     * image without alpha is clipped to 0..255, other 16-bit samples keep their high byte).
     *
     * @return {@code image} itself when it already is TYPE_INT_RGB, otherwise a new image
     * @throws TitokException for colour spaces other than RGB, grey and palette (e.g. a raw CMYK raster)
     */
    public static BufferedImage toRgb(BufferedImage image) {
        if (image.getType() == BufferedImage.TYPE_INT_RGB) {
            return image;
        }
        ColorModel model = image.getColorModel();
        boolean greyWithoutAlpha = model.getColorSpace().getType() == ColorSpace.TYPE_GRAY && !model.hasAlpha();
        return toRgb(image, greyWithoutAlpha, "image");
    }

    /**
     * Writes {@code image} as a PNG file. The data goes to a temporary file next to {@code file} that is then moved
     * into place, so a failed or interrupted write never leaves a partial file under the final name; missing parent
     * folders are created.
     *
     * @throws TitokException when {@code file} is a directory or cannot be written
     */
    public static void writePng(Path file, BufferedImage image) {
        if (Files.isDirectory(file)) {
            throw new TitokException(file + " is a directory: expected a file name for the PNG image");
        }
        byte[] png = encodePng(image);
        Path target = file.toAbsolutePath();
        Path temp = null;
        try {
            Files.createDirectories(target.getParent());
            temp = newTempFile(target);
            Files.write(temp, png);
            moveIntoPlace(temp, target);
        } catch (IOException e) {
            deleteQuietly(temp);
            throw new TitokException("cannot write " + file + ": " + describe(e), e);
        }
    }

    /**
     * Encodes {@code image} as PNG bytes (for a web response or a dataset record).
     *
     * @throws TitokException when ImageIO has no PNG writer for this image type
     */
    public static byte[] encodePng(BufferedImage image) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(image, "png", out)) {
                throw new TitokException("cannot encode a PNG image of BufferedImage type " + image.getType()
                        + ": expected an RGB, grey or palette image");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory failed", e);
        }
        return out.toByteArray();
    }

    private static byte[] readAll(Path file) {
        if (Files.isDirectory(file)) {
            throw new TitokException(file + " is a directory: expected an image file");
        }
        try {
            long size = Files.size(file);
            if (size > MAX_FILE_BYTES) {
                throw new TitokException(file + " is too large: " + size + " bytes, expected an image file of at most "
                        + MAX_FILE_BYTES + " bytes");
            }
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new TitokException(file + " does not exist: expected an image file", e);
        } catch (IOException e) {
            throw new TitokException("cannot read " + file + ": " + describe(e), e);
        }
    }

    /** One way of getting the first image out of a reader that has its input. */
    @FunctionalInterface
    private interface Decoding {
        BufferedImage decode(ImageReader reader) throws IOException;
    }

    private static BufferedImage decode(byte[] data, ImageFormat format, String name, Decoding decoding) {
        ImageReader reader = newReader(format);
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(data))) {
            reader.setInput(in, true, true);
            requireAcceptableSize(reader.getWidth(0), reader.getHeight(0), name);
            return decoding.decode(reader);
        } catch (TitokException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // Readers report bad data as IIOException, EOFException or, for some corrupt headers, runtime exceptions.
            throw new TitokException(name + " is truncated or corrupt: its " + format + " data cannot be decoded ("
                    + describe(e) + ")", e);
        } finally {
            reader.dispose();
        }
    }

    private static ImageReader newReader(ImageFormat format) {
        Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(format.imageIoName());
        if (!readers.hasNext()) {
            throw new IllegalStateException("no ImageIO reader for " + format + " on the class path");
        }
        // TwelveMonkeys orders its JPEG and BMP readers before the JDK's, so the first reader is the one to use.
        return readers.next();
    }

    private static void registerIfAbsent(ImageReaderSpi provider) {
        IIORegistry registry = IIORegistry.getDefaultInstance();
        if (registry.getServiceProviderByClass(provider.getClass()) == null) {
            registry.registerServiceProvider(provider);
        }
    }

    private static void requireAcceptableSize(int width, int height, String name) {
        if ((long) width * height > MAX_PIXELS) {
            throw new TitokException(name + " is too large: " + width + "x" + height + " pixels, more than the "
                    + MAX_PIXELS + " that Pillow accepts (a possible decompression bomb)");
        }
    }

    /** Whether a PNG's IHDR says 16-bit grey (colour type 0): Pillow opens those as mode "I" and clips them to 0..255. */
    private static boolean isSixteenBitGreyPng(byte[] png) {
        return png.length > PNG_BIT_DEPTH_OFFSET + 1
                && png[PNG_BIT_DEPTH_OFFSET] == 16
                && png[PNG_BIT_DEPTH_OFFSET + 1] == PNG_COLOR_TYPE_GREY;
    }

    /**
     * The raster samples themselves, narrowed to 8 bits: no colour management, as in Pillow.
     *
     * @param clipGrey16 whether 16-bit grey clips to 0..255 (Pillow mode "I") instead of keeping the high byte
     * @param name       how error messages call the image
     */
    private static BufferedImage toRgb(BufferedImage image, boolean clipGrey16, String name) {
        int width = image.getWidth();
        int height = image.getHeight();
        ColorModel model = image.getColorModel();
        Raster raster = image.getRaster();
        int[] pixels;
        if (model instanceof IndexColorModel palette) {
            pixels = raster.getSamples(0, 0, width, height, 0, (int[]) null);
            for (int i = 0; i < pixels.length; i++) {
                pixels[i] = palette.getRGB(pixels[i]) & 0xFFFFFF;
            }
        } else {
            int[][] channels = rgbBands(model, raster, clipGrey16, name);
            pixels = new int[width * height];
            for (int i = 0; i < pixels.length; i++) {
                pixels[i] = RgbPixels.pack(channels[0][i], channels[1][i], channels[2][i]);
            }
        }
        return RgbPixels.image(width, height, pixels);
    }

    /** The R, G and B planes in 0..255; grey images give the same plane three times. Bands beyond them (alpha) are ignored. */
    private static int[][] rgbBands(ColorModel model, Raster raster, boolean clipGrey16, String name) {
        int colourSpace = model.getColorSpace().getType();
        if (colourSpace == ColorSpace.TYPE_GRAY && model.getNumColorComponents() == 1) {
            int[] grey = eightBitBand(model, raster, 0, clipGrey16);
            return new int[][] {grey, grey, grey};
        }
        if (colourSpace == ColorSpace.TYPE_RGB && model.getNumColorComponents() == 3) {
            return new int[][] {
                eightBitBand(model, raster, 0, false),
                eightBitBand(model, raster, 1, false),
                eightBitBand(model, raster, 2, false)
            };
        }
        throw new TitokException("cannot convert " + name + " to RGB: expected RGB, grey or palette colours, found "
                + model.getNumColorComponents() + " colour components of colour space type " + colourSpace);
    }

    /** One band's samples scaled to 8 bits as Pillow's unpackers do. Band i is colour component i in ImageIO's models. */
    private static int[] eightBitBand(ColorModel model, Raster raster, int band, boolean clip16) {
        int bits = model.getComponentSize(band);
        int[] samples = raster.getSamples(0, 0, raster.getWidth(), raster.getHeight(), band, (int[]) null);
        if (bits == 8) {
            return samples;
        }
        int max = (1 << bits) - 1;
        for (int i = 0; i < samples.length; i++) {
            int v = samples[i];
            if (bits < 8) {
                samples[i] = v * 255 / max;
            } else {
                samples[i] = clip16 ? Math.min(v, 255) : v >> (bits - 8);
            }
        }
        return samples;
    }

    /**
     * A new empty file beside {@code target}, hidden by a leading dot. Created with the default permissions (unlike
     * {@code Files.createTempFile}, whose 0600 would carry over to the final image).
     */
    private static Path newTempFile(Path target) throws IOException {
        String name = "." + target.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp";
        Path temp = target.resolveSibling(name);
        try (OutputStream ignored = Files.newOutputStream(temp, StandardOpenOption.CREATE_NEW)) {
            return temp;
        }
    }

    private static void moveIntoPlace(Path temp, Path target) throws IOException {
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void deleteQuietly(Path path) {
        if (path == null) {
            return;
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            // Best effort: the original error is the one to report.
        }
    }

    /** A short reason for a message: the exception's own message, or its type when it has none. */
    private static String describe(Throwable e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        String message = e.getMessage();
        Throwable cause = e.getCause();
        if (cause != null && cause.getMessage() != null && (message == null || !message.contains(cause.getMessage()))) {
            message = (message == null ? "" : message + ": ") + cause.getMessage();
        }
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : message.strip();
    }
}
