package dev.titok.eval;

import dev.titok.TitokException;
import dev.titok.data.Dataset;
import dev.titok.image.ImageCodec;
import dev.titok.image.Rounding;
import dev.titok.io.NpzImageReader;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Generated images to score, read in order and in batches as unsigned bytes (B, 3, H, W): an ADM sample batch
 * ({@code .npz} with {@code arr_0} of shape (N, H, W, 3), streamed, so 50,000 images never sit in memory) or a folder
 * of image files (sorted by name, all of one size).
 */
public interface SampleImages extends AutoCloseable {

    /** N. */
    long count();

    int height();

    int width();

    /**
     * The next images, at most {@code max}, as (B, 3, H, W) bytes; an empty array after the last one.
     *
     * @throws TitokException naming the file when an image cannot be read
     */
    byte[] next(int max);

    /** Skips the first {@code images} (to resume); they are read and dropped for an npz. */
    void skip(long images);

    @Override
    void close();

    /** An {@code .npz} sample batch or an image folder, by what {@code path} is. */
    static SampleImages open(Path path) {
        if (Files.isDirectory(path)) {
            return folder(path);
        }
        if (!Files.exists(path)) {
            throw new TitokException(path + ": no such file or folder (expected an .npz sample batch or an image folder)");
        }
        return npz(path);
    }

    /** The ADM sample batch {@code arr_0} of an {@code .npz}. */
    static SampleImages npz(Path file) {
        NpzImageReader reader = NpzImageReader.open(file);
        return new SampleImages() {
            @Override
            public long count() {
                return reader.count();
            }

            @Override
            public int height() {
                return reader.height();
            }

            @Override
            public int width() {
                return reader.width();
            }

            @Override
            public byte[] next(int max) {
                long left = reader.count() - reader.position();
                int n = (int) Math.min(max, left);
                if (n == 0) {
                    return new byte[0];
                }
                byte[] hwc = new byte[n * reader.imageBytes()];
                int read = reader.read(hwc);
                return toChw(hwc, read, reader.height(), reader.width());
            }

            @Override
            public void skip(long images) {
                while (images > 0) {
                    images -= next((int) Math.min(images, 256)).length / reader.imageBytes();
                }
            }

            @Override
            public void close() {
                reader.close();
            }
        };
    }

    /** Every image file of a folder, sorted by name; all must have the size of the first. */
    static SampleImages folder(Path dir) {
        List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.filter(Files::isRegularFile).filter(ImageCodec::looksLikeImage).sorted().toList();
        } catch (IOException e) {
            throw new TitokException(dir + ": cannot list the folder: " + e.getMessage(), e);
        }
        if (files.isEmpty()) {
            throw new TitokException(dir + ": no image files in the folder (expected PNG/JPEG samples or an .npz)");
        }
        BufferedImage first = ImageCodec.read(files.get(0));
        int height = first.getHeight();
        int width = first.getWidth();
        return new SampleImages() {
            private int position;

            @Override
            public long count() {
                return files.size();
            }

            @Override
            public int height() {
                return height;
            }

            @Override
            public int width() {
                return width;
            }

            @Override
            public byte[] next(int max) {
                int n = Math.min(max, files.size() - position);
                int per = 3 * height * width;
                byte[] out = new byte[n * per];
                for (int i = 0; i < n; i++) {
                    Path file = files.get(position + i);
                    BufferedImage image = ImageCodec.toRgb(ImageCodec.read(file));
                    if (image.getHeight() != height || image.getWidth() != width) {
                        throw new TitokException(file + " is " + image.getWidth() + "x" + image.getHeight() + " but "
                                + files.get(0).getFileName() + " is " + width + "x" + height + ": all samples must have one size");
                    }
                    for (int y = 0; y < height; y++) {
                        for (int x = 0; x < width; x++) {
                            int rgb = image.getRGB(x, y);
                            int p = i * per + y * width + x;
                            out[p] = (byte) (rgb >> 16);
                            out[p + height * width] = (byte) (rgb >> 8);
                            out[p + 2 * height * width] = (byte) rgb;
                        }
                    }
                }
                position += n;
                return out;
            }

            @Override
            public void skip(long images) {
                position = (int) Math.min(files.size(), position + images);
            }

            @Override
            public void close() {
            }
        };
    }

    /**
     * The images of a dataset in index order, truncated to 8 bits as the evaluator converts real images (exact for the
     * k/255 values decoded images hold): the reference side of a generation FID.
     */
    static SampleImages of(Dataset data) {
        int side = data.imageSize();
        int per = 3 * side * side;
        return new SampleImages() {
            private int position;

            @Override
            public long count() {
                return data.size();
            }

            @Override
            public int height() {
                return side;
            }

            @Override
            public int width() {
                return side;
            }

            @Override
            public byte[] next(int max) {
                int n = Math.min(max, data.size() - position);
                byte[] out = new byte[n * per];
                for (int i = 0; i < n; i++) {
                    float[] pixels = data.get(position + i, new java.util.SplittableRandom(0)).pixels();
                    for (int j = 0; j < per; j++) {
                        out[i * per + j] = (byte) Rounding.TRUNCATE.toLevel(pixels[j]);
                    }
                }
                position += n;
                return out;
            }

            @Override
            public void skip(long images) {
                position = (int) Math.min(data.size(), position + images);
            }

            @Override
            public void close() {
            }
        };
    }

    /** (n, H, W, 3) → (n, 3, H, W). */
    static byte[] toChw(byte[] hwc, int n, int height, int width) {
        int plane = height * width;
        byte[] chw = new byte[n * 3 * plane];
        for (int i = 0; i < n; i++) {
            int base = i * 3 * plane;
            for (int p = 0; p < plane; p++) {
                chw[base + p] = hwc[base + 3 * p];
                chw[base + plane + p] = hwc[base + 3 * p + 1];
                chw[base + 2 * plane + p] = hwc[base + 3 * p + 2];
            }
        }
        return chw;
    }

    /** (n, 3, H, W) → (n, H, W, 3), the layout of an ADM sample batch. */
    static byte[] toHwc(byte[] chw, int n, int height, int width) {
        int plane = height * width;
        byte[] hwc = new byte[n * 3 * plane];
        for (int i = 0; i < n; i++) {
            int base = i * 3 * plane;
            for (int p = 0; p < plane; p++) {
                hwc[base + 3 * p] = chw[base + p];
                hwc[base + 3 * p + 1] = chw[base + plane + p];
                hwc[base + 3 * p + 2] = chw[base + 2 * plane + p];
            }
        }
        return hwc;
    }
}
