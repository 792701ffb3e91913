package dev.titok.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.titok.TitokException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A safetensors file over 2 GiB, made sparse so that the test takes no disk space and no time. */
class LargeFileTest {

    private static final long FILLER_BYTES = (1L << 31) + 16;
    private static final float[] TAIL = {1.5f, -2.25f, 65504f, Float.MIN_VALUE};

    @TempDir
    Path dir;

    @Test
    void readsATensorBeyondTwoGibibytes() throws IOException {
        Path file = dir.resolve("big.safetensors");
        writeSparse(file);

        try (SafeTensors read = SafeTensors.open(file)) {
            assertThat(read.shapes().get("filler")).containsExactly(FILLER_BYTES);
            assertThat(read.get("tail").toFloats()).containsExactly(TAIL);
            assertThatThrownBy(() -> read.get("filler"))
                    .isInstanceOf(TitokException.class)
                    .hasMessageContaining("big.safetensors: tensor 'filler' holds 2,147,483,664 bytes; a single tensor must be under 2 GiB");
        }
    }

    private static void writeSparse(Path file) throws IOException {
        String json = "{\"filler\":{\"dtype\":\"U8\",\"shape\":[" + FILLER_BYTES + "],\"data_offsets\":[0," + FILLER_BYTES + "]},"
                + "\"tail\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[" + FILLER_BYTES + "," + (FILLER_BYTES + 16) + "]}}";
        byte[] header = json.getBytes(StandardCharsets.UTF_8);
        long dataStart = 8 + header.length;
        long freeBefore = Files.getFileStore(file.getParent()).getUsableSpace();
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(dataStart + FILLER_BYTES + 16);
            long used = freeBefore - Files.getFileStore(file.getParent()).getUsableSpace();
            assumeTrue(used < (1L << 30), "the filesystem of " + file.getParent() + " does not support sparse files");
            raf.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
            raf.write(header);
            ByteBuffer tail = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            tail.asFloatBuffer().put(TAIL);
            raf.seek(dataStart + FILLER_BYTES);
            raf.write(tail.array());
        }
    }
}
