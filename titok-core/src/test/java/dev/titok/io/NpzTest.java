package dev.titok.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.titok.TitokException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * .npz archives: what {@code np.savez} writes (stored entries, each a .npy file) and {@code np.savez_compressed}
 * (deflated entries), whole and as streamed sample batches, and what goes wrong with them.
 */
class NpzTest {

    @TempDir
    Path dir;

    private static Map<String, HostTensor> arrays() {
        Map<String, HostTensor> arrays = new LinkedHashMap<>();
        arrays.put("mu", HostTensor.ofDoubles(new long[] {3}, new double[] {0.5, -1e-300, Math.PI}));
        arrays.put("sigma", HostTensor.ofDoubles(new long[] {2, 2}, new double[] {1, 2, 3, 4}));
        arrays.put("count", HostTensor.ofLongs(new long[0], new long[] {50_000}));
        arrays.put("x", HostTensor.ofFloats(new long[] {2, 1}, new float[] {1.5f, -2}));
        arrays.put("arr_0", new HostTensor(DType.U8, new long[] {2, 2}, ByteBuffer.wrap(new byte[] {0, 1, (byte) 254, (byte) 255})));
        return arrays;
    }

    @Test
    void roundTripsInArchiveOrder() {
        Path file = dir.resolve("a.npz");

        Npz.write(file, arrays());

        Map<String, HostTensor> read = Npz.read(file);
        assertThat(read.keySet()).containsExactly("mu", "sigma", "count", "x", "arr_0");
        assertThat(read).isEqualTo(arrays());
        assertThat(Npz.read(file, "sigma").toDoubles()).containsExactly(1, 2, 3, 4);
    }

    @Test
    void writesStoredEntriesThatAreTheNpyFilesOfNumpySave() throws IOException {
        Path file = dir.resolve("a.npz");
        Npz.write(file, arrays());

        try (ZipFile zip = new ZipFile(file.toFile())) {
            List<? extends ZipEntry> entries = Collections.list(zip.entries());
            assertThat(entries).extracting(ZipEntry::getName).containsExactly("mu.npy", "sigma.npy", "count.npy", "x.npy", "arr_0.npy");
            for (ZipEntry entry : entries) {
                byte[] bytes;
                try (InputStream in = zip.getInputStream(entry)) {
                    bytes = in.readAllBytes();
                }
                Path npy = dir.resolve(entry.getName());
                Npy.write(npy, arrays().get(entry.getName().replace(".npy", "")));
                CRC32 crc = new CRC32();
                crc.update(bytes);
                assertThat(entry.getMethod()).isEqualTo(ZipEntry.STORED);
                assertThat(entry.getCrc()).as(entry.getName() + " CRC-32").isEqualTo(crc.getValue());
                assertThat(bytes).as(entry.getName()).isEqualTo(Files.readAllBytes(npy));
            }
        }
    }

    @Test
    void readsTheDeflatedEntriesOfSavezCompressed() throws IOException {
        Path file = dir.resolve("compressed.npz");
        byte[] images = new byte[3 * 2 * 2 * 3];
        for (int i = 0; i < images.length; i++) {
            images[i] = (byte) (7 * i);
        }
        Map<String, HostTensor> arrays = Map.of(
                "mu", HostTensor.ofDoubles(new long[] {2}, new double[] {1, 2}),
                "arr_0", new HostTensor(DType.U8, new long[] {3, 2, 2, 3}, ByteBuffer.wrap(images)));
        try (OutputStream out = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(out)) {
            for (Map.Entry<String, HostTensor> array : arrays.entrySet()) {
                Path npy = dir.resolve(array.getKey() + ".npy");
                Npy.write(npy, array.getValue());
                zip.putNextEntry(new ZipEntry(array.getKey() + ".npy"));
                zip.write(Files.readAllBytes(npy));
                zip.closeEntry();
            }
        }

        assertThat(Npz.read(file)).isEqualTo(arrays);
        try (NpzImageReader reader = NpzImageReader.open(file)) {
            byte[] buffer = new byte[3 * reader.imageBytes()];
            assertThat(reader.read(buffer)).isEqualTo(3);
            assertThat(buffer).isEqualTo(images);
        }
    }

    @Test
    void writesZip64RecordsThatZipReadersFollow() throws IOException {
        Path file = dir.resolve("zip64.npz");
        byte[] header = Npy.header(DType.F64, new long[] {2});
        ByteBuffer data = HostTensor.ofDoubles(new long[] {2}, new double[] {3, 4}).data();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            // every size and offset from 0 on is "large": all records take their zip64 form
            StoredZipWriter zip = new StoredZipWriter(channel, 0);
            for (String name : List.of("a.npy", "b.npy")) {
                zip.beginEntry(name, header.length + 16);
                zip.write(ByteBuffer.wrap(header));
                zip.write(data.duplicate());
                zip.endEntry();
            }
            zip.finish();
        }

        Map<String, HostTensor> read = Npz.read(file);
        assertThat(read.keySet()).containsExactly("a", "b");
        assertThat(read.get("b").toDoubles()).containsExactly(3, 4);
    }

    @Test
    void streamsASampleBatchInAndOut() throws IOException {
        Path file = dir.resolve("samples.npz");
        int height = 4;
        int width = 3;
        int imageBytes = height * width * 3;
        byte[] all = new byte[5 * imageBytes];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte) (31 * i + 5);
        }

        try (NpzImageWriter writer = NpzImageWriter.create(file, 5, height, width)) {
            for (int i = 0; i < 5; i++) {
                writer.append(all, i * imageBytes);
            }
            assertThat(writer.written()).isEqualTo(5);
        }

        assertThat(names()).containsExactly("samples.npz");
        HostTensor whole = Npz.read(file, "arr_0");
        assertThat(whole.dtype()).isEqualTo(DType.U8);
        assertThat(whole.shape()).containsExactly(5, 4, 3, 3);
        assertThat(whole).isEqualTo(new HostTensor(DType.U8, new long[] {5, 4, 3, 3}, ByteBuffer.wrap(all)));
        try (NpzImageReader reader = NpzImageReader.open(file)) {
            assertThat(reader.count()).isEqualTo(5);
            assertThat(reader.height()).isEqualTo(4);
            assertThat(reader.width()).isEqualTo(3);
            byte[] buffer = new byte[2 * imageBytes + 1];
            assertThat(reader.read(buffer)).isEqualTo(2);
            assertThat(Arrays.copyOf(buffer, 2 * imageBytes)).isEqualTo(Arrays.copyOfRange(all, 0, 2 * imageBytes));
            assertThat(reader.read(buffer)).isEqualTo(2);
            assertThat(reader.read(buffer)).isEqualTo(1);
            assertThat(Arrays.copyOf(buffer, imageBytes)).isEqualTo(Arrays.copyOfRange(all, 4 * imageBytes, 5 * imageBytes));
            assertThat(reader.read(buffer)).isZero();
            assertThat(reader.position()).isEqualTo(5);
        }
    }

    @Test
    void discardsAnIncompleteSampleBatch() throws IOException {
        Path file = dir.resolve("samples.npz");
        NpzImageWriter writer = NpzImageWriter.create(file, 3, 2, 2);
        writer.append(new byte[12], 0);
        writer.append(new byte[12], 0);

        assertThatThrownBy(writer::close)
                .isInstanceOf(TitokException.class)
                .hasMessage(file + ": only 2 of 3 images were written; the sample batch was discarded");
        assertThat(names()).isEmpty();
        assertThatThrownBy(() -> writer.append(new byte[12], 0)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void refusesMoreImagesThanDeclaredAndShortBuffers() {
        Path file = dir.resolve("samples.npz");
        try (NpzImageWriter writer = NpzImageWriter.create(file, 1, 2, 2)) {
            assertThatThrownBy(() -> writer.append(new byte[12], 1)).isInstanceOf(IllegalArgumentException.class);
            writer.append(new byte[12], 0);
            assertThatThrownBy(() -> writer.append(new byte[12], 0))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage(file + ": all 1 images are written already");
        }
        assertThat(Npz.read(file, "arr_0").shape()).containsExactly(1, 2, 2, 3);
    }

    @Test
    void namesTheArraysPresentWhenOneIsMissing() {
        Path file = dir.resolve("a.npz");
        Npz.write(file, arrays());

        assertThatThrownBy(() -> Npz.read(file, "mu_s"))
                .isInstanceOf(TitokException.class)
                .hasMessage(file + ": no array 'mu_s' in the .npz; it holds mu, sigma, count, x, arr_0");
        assertThatThrownBy(() -> NpzImageReader.open(file, "images"))
                .isInstanceOf(TitokException.class)
                .hasMessageContaining("no array 'images'");
    }

    @Test
    void refusesImageArraysOfTheWrongTypeOrShape() throws IOException {
        Path floats = dir.resolve("floats.npz");
        Path flat = dir.resolve("flat.npz");
        Npz.write(floats, Map.of("arr_0", HostTensor.ofFloats(new long[] {1, 1, 1, 3}, new float[3])));
        Npz.write(flat, Map.of("arr_0", new HostTensor(DType.U8, new long[] {2, 3}, ByteBuffer.wrap(new byte[6]))));

        assertThatThrownBy(() -> NpzImageReader.open(floats))
                .isInstanceOf(TitokException.class)
                .hasMessage(floats + ":arr_0: expected uint8 images of shape (N, H, W, 3), found a '<f4' array of shape [1, 1, 1, 3]");
        assertThatThrownBy(() -> NpzImageReader.open(flat))
                .isInstanceOf(TitokException.class)
                .hasMessageContaining("found a '|u1' array of shape [2, 3]");
        assertThat(names()).containsExactlyInAnyOrder("floats.npz", "flat.npz");
    }

    @Test
    void detectsAnArrayWithLessDataThanItsShape() throws IOException {
        Path file = dir.resolve("short.npz");
        byte[] header = Npy.header(DType.U8, new long[] {3, 2, 2, 3});
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            StoredZipWriter zip = new StoredZipWriter(channel);
            zip.beginEntry("arr_0.npy", header.length + 24);
            zip.write(ByteBuffer.wrap(header));
            zip.write(ByteBuffer.allocate(24));
            zip.endEntry();
            zip.finish();
        }

        assertThatThrownBy(() -> NpzImageReader.open(file))
                .isInstanceOf(TitokException.class)
                .hasMessage(file + ":arr_0: truncated: a |u1 array of shape [3, 2, 2, 3] needs 36 bytes of data, the file holds 24");
        assertThatThrownBy(() -> Npz.read(file))
                .isInstanceOf(TitokException.class)
                .hasMessageContaining("truncated: a |u1 array of shape [3, 2, 2, 3]");
    }

    @Test
    void tellsATruncatedArchiveFromOneThatIsNoZipAtAll() throws IOException {
        Path whole = dir.resolve("a.npz");
        Npz.write(whole, arrays());
        byte[] bytes = Files.readAllBytes(whole);
        Path cut = Files.write(dir.resolve("cut.npz"), Arrays.copyOf(bytes, bytes.length / 2));
        Path text = Files.writeString(dir.resolve("text.npz"), "mu,sigma\n");
        Path empty = Files.write(dir.resolve("empty.npz"), new byte[0]);

        assertThatThrownBy(() -> Npz.read(cut))
                .isInstanceOf(TitokException.class)
                .hasMessageStartingWith(cut + ": truncated or damaged .npz file: ");
        assertThatThrownBy(() -> NpzImageReader.open(cut))
                .isInstanceOf(TitokException.class)
                .hasMessageStartingWith(cut + ": truncated or damaged .npz file: ");
        assertThatThrownBy(() -> Npz.read(text))
                .isInstanceOf(TitokException.class)
                .hasMessage(text + ": not an .npz file: a zip archive starts with 50 4b 03 04, this file with 6d 75 2c 73");
        assertThatThrownBy(() -> Npz.read(empty))
                .isInstanceOf(TitokException.class)
                .hasMessage(empty + ": not an .npz file: a zip archive starts with 50 4b 03 04, this file with nothing (it is empty)");
        assertThatThrownBy(() -> Npz.read(dir.resolve("absent.npz")))
                .isInstanceOf(TitokException.class)
                .hasMessage(dir.resolve("absent.npz") + ": no such file");
    }

    @Test
    void requireNamesTheExpectedAndTheFoundTypeAndShape() {
        HostTensor sigma = HostTensor.ofDoubles(new long[] {2, 2}, new double[4]);

        Npz.require("stats.npz:sigma", sigma, DType.F64, -1, 2);
        assertThatThrownBy(() -> Npz.require("stats.npz:sigma", sigma, DType.F64, 3, 3))
                .isInstanceOf(TitokException.class)
                .hasMessage("stats.npz:sigma: expected a F64 array of shape [3, 3], found F64 [2, 2]");
        assertThatThrownBy(() -> Npz.require("stats.npz:sigma", sigma, DType.F32, -1))
                .isInstanceOf(TitokException.class)
                .hasMessage("stats.npz:sigma: expected a F32 array of shape [*], found F64 [2, 2]");
    }

    private List<String> names() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).toList();
        }
    }
}
