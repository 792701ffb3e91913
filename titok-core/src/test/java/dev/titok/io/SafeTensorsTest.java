package dev.titok.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.titok.TitokException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {

    @TempDir
    Path dir;

    @Test
    void roundTripsEveryKindOfTensorInOrder() {
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        tensors.put("z.weight", HostTensor.ofFloats(new long[] {2, 3}, new float[] {1, -2.5f, 3, 4, 5, 6}));
        tensors.put("a.ids", HostTensor.ofLongs(new long[] {3}, new long[] {Long.MIN_VALUE, 0, Long.MAX_VALUE}));
        tensors.put("scalar", HostTensor.ofFloats(new long[0], new float[] {7}));
        tensors.put("empty", HostTensor.ofFloats(new long[] {0, 4}, new float[0]));
        tensors.put("half", raw(DType.F16, new long[] {2}, (short) 0x3c00, (short) 0xc100));
        tensors.put("mask", new HostTensor(DType.BOOL, new long[] {3}, ByteBuffer.wrap(new byte[] {1, 0, 1})));
        Path file = dir.resolve("model.safetensors");

        SafeTensors.write(file, tensors, Map.of());

        try (SafeTensors read = SafeTensors.open(file)) {
            assertThat(read.names()).containsExactly("z.weight", "a.ids", "scalar", "empty", "half", "mask");
            assertThat(read.tensors()).isEqualTo(tensors);
            assertThat(read.get("z.weight").toFloats()).containsExactly(1, -2.5f, 3, 4, 5, 6);
            assertThat(read.get("a.ids").toLongs()).containsExactly(Long.MIN_VALUE, 0, Long.MAX_VALUE);
            assertThat(read.get("scalar").shape()).isEmpty();
            assertThat(read.get("scalar").toFloats()).containsExactly(7);
            assertThat(read.get("mask").toLongs()).containsExactly(1, 0, 1);
            assertThat(read.shapes().get("empty")).containsExactly(0, 4);
            assertThat(read.metadata()).isEmpty();
        }
    }

    @Test
    void widensHalfPrecisionExactly() {
        HostTensor half = raw(DType.F16, new long[] {11},
                (short) 0x3c00, (short) 0xc100, (short) 0x7bff, (short) 0x0001, (short) 0x03ff,
                (short) 0x0400, (short) 0x8000, (short) 0x7c00, (short) 0xfc00, (short) 0x7e00, (short) 0x3555);
        float[] values = roundTrip(half).toFloats();

        assertThat(values[0]).isEqualTo(1.0f);
        assertThat(values[1]).isEqualTo(-2.5f);
        assertThat(values[2]).isEqualTo(65504f);
        assertThat(values[3]).isEqualTo(0x1p-24f);
        assertThat(values[4]).isEqualTo(1023 * 0x1p-24f);
        assertThat(values[5]).isEqualTo(0x1p-14f);
        assertThat(Float.floatToRawIntBits(values[6])).isEqualTo(0x80000000);
        assertThat(values[7]).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(values[8]).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(Float.floatToRawIntBits(values[9])).isEqualTo(0x7fc00000);
        assertThat(values[10]).isEqualTo(0.33325195f);
    }

    @Test
    void widensBfloat16Exactly() {
        HostTensor bf16 = raw(DType.BF16, new long[] {8},
                (short) 0x3f80, (short) 0xc020, (short) 0x4780, (short) 0x0001,
                (short) 0x8000, (short) 0x7f80, (short) 0xff80, (short) 0x7fc0);
        float[] values = roundTrip(bf16).toFloats();

        assertThat(values[0]).isEqualTo(1.0f);
        assertThat(values[1]).isEqualTo(-2.5f);
        assertThat(values[2]).isEqualTo(65536f);
        assertThat(values[3]).isEqualTo(0x1p-133f);
        assertThat(Float.floatToRawIntBits(values[4])).isEqualTo(0x80000000);
        assertThat(values[5]).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(values[6]).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(values[7]).isNaN();
    }

    @Test
    void roundTripsMetadataInOrder() {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", "pt");
        metadata.put("descriptions", "{\"ünïcode\": \"quotes \\\" and\\nnewlines\"}");
        metadata.put("empty", "");
        Path file = dir.resolve("meta.safetensors");

        SafeTensors.write(file, Map.of("x", HostTensor.ofFloats(new long[] {1}, new float[] {1})), metadata);

        try (SafeTensors read = SafeTensors.open(file)) {
            assertThat(read.metadata()).containsExactlyEntriesOf(metadata);
        }
    }

    @Test
    void headerIsPaddedToAMultipleOfEight() throws IOException {
        Path file = dir.resolve("pad.safetensors");

        SafeTensors.write(file, Map.of("abc", HostTensor.ofFloats(new long[] {1}, new float[] {1})), Map.of());

        byte[] bytes = Files.readAllBytes(file);
        long headerLength = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertThat(headerLength % 8).isZero();
        String header = new String(bytes, 8, (int) headerLength, java.nio.charset.StandardCharsets.UTF_8);
        assertThat(header).startsWith("{\"abc\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}");
        assertThat(header.strip()).endsWith("}");
    }

    @Test
    void rewritingTheFixtureKeepsEveryTensorAndTheDataSectionByteForByte() throws IOException {
        Path fixture = Fixtures.require("titok_vq_stage1/model.safetensors");
        Path copy = dir.resolve("copy.safetensors");

        try (SafeTensors original = SafeTensors.open(fixture)) {
            SafeTensors.write(copy, original.tensors(), original.metadata());
            try (SafeTensors rewritten = SafeTensors.open(copy)) {
                assertThat(rewritten.names()).containsExactlyElementsOf(original.names());
                assertThat(rewritten.metadata()).containsExactlyEntriesOf(original.metadata());
                for (String name : original.names()) {
                    assertThat(rewritten.get(name)).as(name).isEqualTo(original.get(name));
                }
            }
        }
        assertThat(dataSection(copy)).isEqualTo(dataSection(fixture));
    }

    @Test
    void readsEveryFixtureFile() throws IOException {
        Path root = Fixtures.require(".");
        List<Path> files;
        try (Stream<Path> walk = Files.walk(root)) {
            files = walk.filter(p -> p.toString().endsWith(".safetensors")).sorted().collect(Collectors.toList());
        }

        assertThat(files).isNotEmpty();
        for (Path file : files) {
            try (SafeTensors read = SafeTensors.open(file)) {
                for (String name : read.names()) {
                    HostTensor tensor = read.get(name);
                    assertThat(tensor.shape()).as(file + " " + name).isEqualTo(read.shapes().get(name));
                }
            }
        }
    }

    @Test
    void overwritesAFileItIsReadingFrom() {
        Path file = dir.resolve("self.safetensors");
        SafeTensors.write(file, Map.of("x", HostTensor.ofFloats(new long[] {2}, new float[] {1, 2})), Map.of());

        try (SafeTensors read = SafeTensors.open(file)) {
            Map<String, HostTensor> tensors = new LinkedHashMap<>(read.tensors());
            tensors.put("y", HostTensor.ofFloats(new long[] {1}, new float[] {3}));
            SafeTensors.write(file, tensors, Map.of());
        }

        try (SafeTensors read = SafeTensors.open(file)) {
            assertThat(read.get("x").toFloats()).containsExactly(1, 2);
            assertThat(read.get("y").toFloats()).containsExactly(3);
        }
    }

    @Test
    void tensorsStayReadableAfterClose() {
        Path file = dir.resolve("closed.safetensors");
        SafeTensors.write(file, Map.of("x", HostTensor.ofFloats(new long[] {2}, new float[] {1, 2})), Map.of());

        HostTensor x;
        SafeTensors read = SafeTensors.open(file);
        x = read.get("x");
        read.close();

        assertThat(x.toFloats()).containsExactly(1, 2);
        assertThatThrownBy(() -> read.get("x")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void missingTensorIsNamed() {
        Path file = dir.resolve("model.safetensors");
        SafeTensors.write(file, Map.of("encoder.weight", HostTensor.ofFloats(new long[] {1}, new float[] {1})), Map.of());

        try (SafeTensors read = SafeTensors.open(file)) {
            assertThatThrownBy(() -> read.get("decoder.weight"))
                    .isInstanceOf(TitokException.class)
                    .hasMessageContaining("model.safetensors")
                    .hasMessageContaining("no tensor named 'decoder.weight'")
                    .hasMessageContaining("'encoder.weight'");
        }
    }

    @Test
    void metadataIsAReservedName() {
        Map<String, HostTensor> tensors = Map.of("__metadata__", HostTensor.ofFloats(new long[] {1}, new float[] {1}));

        assertThatThrownBy(() -> SafeTensors.write(dir.resolve("x.safetensors"), tensors, Map.of()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void missingFileIsNamed() {
        assertThatThrownBy(() -> SafeTensors.open(dir.resolve("absent.safetensors")))
                .isInstanceOf(TitokException.class)
                .hasMessageContaining("absent.safetensors: no such file");
    }

    static HostTensor raw(DType dtype, long[] shape, short... values) {
        ByteBuffer buffer = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        buffer.asShortBuffer().put(values);
        return new HostTensor(dtype, shape, buffer);
    }

    private HostTensor roundTrip(HostTensor tensor) {
        Path file = dir.resolve("one.safetensors");
        SafeTensors.write(file, Map.of("t", tensor), Map.of());
        try (SafeTensors read = SafeTensors.open(file)) {
            HostTensor back = read.get("t");
            assertThat(back).isEqualTo(tensor);
            return back;
        }
    }

    private static byte[] dataSection(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        long headerLength = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        return Arrays.copyOfRange(bytes, 8 + (int) headerLength, bytes.length);
    }
}
