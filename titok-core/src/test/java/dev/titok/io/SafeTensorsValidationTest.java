package dev.titok.io;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.titok.TitokException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every malformed header is rejected at open with one message naming the file and the problem. */
class SafeTensorsValidationTest {

    @TempDir
    Path dir;

    static Stream<Arguments> malformedHeaders() {
        String f32 = "{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}";
        return Stream.of(
                Arguments.of("{not json", 0, "the header is not valid JSON"),
                Arguments.of("{\"a\":" + f32 + "} trailing", 16, "the header is not valid JSON"),
                Arguments.of("{\"a\":" + f32 + ",\"a\":" + f32 + "}", 16, "Duplicate field 'a'"),
                Arguments.of("[1,2]", 0, "the header must be a JSON object {name: {dtype, shape, data_offsets}}, found [1,2]"),
                Arguments.of("{\"a\":[1]}", 0, "tensor 'a' must be an object {dtype, shape, data_offsets}, found [1]"),
                Arguments.of("{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[4],\"data_offsets\":[0,4]}}", 4,
                        "tensor 'a' has dtype 'F8_E4M3', which is not supported; expected one of F32, F16, BF16"),
                Arguments.of("{\"a\":{\"shape\":[4],\"data_offsets\":[0,16]}}", 16, "tensor 'a' has dtype (missing)"),
                Arguments.of("{\"a\":{\"dtype\":\"F32\",\"shape\":[2,-2],\"data_offsets\":[0,16]}}", 16,
                        "tensor 'a' has shape [2,-2]; expected a list of non-negative integers"),
                Arguments.of("{\"a\":{\"dtype\":\"F32\",\"shape\":[4.0],\"data_offsets\":[0,16]}}", 16,
                        "tensor 'a' has shape [4.0]; expected a list of non-negative integers"),
                Arguments.of("{\"a\":{\"dtype\":\"F32\",\"shape\":\"4\",\"data_offsets\":[0,16]}}", 16, "tensor 'a' has shape \"4\""),
                Arguments.of("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[16,0]}}", 16,
                        "tensor 'a' has data_offsets [16,0]; expected [begin, end] with 0 <= begin <= end"),
                Arguments.of("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0]}}", 16, "tensor 'a' has data_offsets [0]"),
                Arguments.of("{\"a\":{\"dtype\":\"F32\",\"shape\":[4]}}", 16, "tensor 'a' has data_offsets (missing)"),
                Arguments.of("{\"encoder.ln_pre.weight\":{\"dtype\":\"F32\",\"shape\":[1024],\"data_offsets\":[0,4096]}}", 1024,
                        "truncated: tensor 'encoder.ln_pre.weight' ends at byte 4,096 of the data section but the file holds only 1,024"),
                Arguments.of("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,12]}}", 16,
                        "tensor 'a' of dtype F32 and shape [4] needs 16 bytes, but its data_offsets [0, 12] span 12"),
                Arguments.of("{\"a\":{\"dtype\":\"I64\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,16]}}", 16,
                        "whose byte size does not fit in 64 bits"),
                Arguments.of("{\"a\":" + f32 + ",\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}", 24,
                        "tensors 'a' [0, 16) and 'b' [8, 24) overlap in the data section"),
                Arguments.of("{\"__metadata__\":{\"k\":1},\"a\":" + f32 + "}", 16, "__metadata__ must map names to strings, but 'k' holds 1"),
                Arguments.of("{\"__metadata__\":[],\"a\":" + f32 + "}", 16, "__metadata__ must be an object of strings, found []"));
    }

    @ParameterizedTest
    @MethodSource("malformedHeaders")
    void rejectsMalformedHeader(String json, int dataBytes, String problem) throws IOException {
        Path file = craft(json, dataBytes);

        assertThatThrownBy(() -> SafeTensors.open(file))
                .isInstanceOf(TitokException.class)
                .hasMessageStartingWith(file + ": ")
                .hasMessageContaining(problem);
    }

    @Test
    void acceptsTouchingAndEmptyTensors() throws IOException {
        Path file = craft("{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},"
                + "\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[2,2]},"
                + "\"b\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[4,8]}}", 8);

        try (SafeTensors read = SafeTensors.open(file)) {
            org.assertj.core.api.Assertions.assertThat(read.names()).containsExactly("a", "e", "b");
        }
    }

    @Test
    void rejectsFileShorterThanTheLengthField() throws IOException {
        Path file = dir.resolve("model.safetensors");
        Files.write(file, new byte[] {1, 2, 3, 4, 5});

        assertThatThrownBy(() -> SafeTensors.open(file))
                .isInstanceOf(TitokException.class)
                .hasMessage(file + ": not a safetensors file: it holds 5 bytes, but a safetensors file starts with an 8-byte header length");
    }

    @Test
    void rejectsHeaderLongerThanTheLimit() throws IOException {
        Path file = dir.resolve("model.safetensors");
        Files.write(file, lengthField(200_000_000L, 16));

        assertThatThrownBy(() -> SafeTensors.open(file))
                .isInstanceOf(TitokException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("200000000 bytes, more than the 100,000,000-byte limit");
    }

    @Test
    void rejectsNegativeHeaderLength() throws IOException {
        Path file = dir.resolve("model.safetensors");
        Files.write(file, lengthField(-1L, 16));

        assertThatThrownBy(() -> SafeTensors.open(file))
                .isInstanceOf(TitokException.class)
                .hasMessageContaining("18446744073709551615 bytes, more than the 100,000,000-byte limit");
    }

    @Test
    void rejectsHeaderLongerThanTheFile() throws IOException {
        Path file = dir.resolve("model.safetensors");
        Files.write(file, lengthField(1000, 20));

        assertThatThrownBy(() -> SafeTensors.open(file))
                .isInstanceOf(TitokException.class)
                .hasMessage(file + ": truncated: the header should take 1,000 bytes after the 8-byte length, but the file holds only 20");
    }

    private static byte[] lengthField(long length, int followingBytes) {
        return ByteBuffer.allocate(8 + followingBytes).order(ByteOrder.LITTLE_ENDIAN).putLong(length).array();
    }

    private Path craft(String json, int dataBytes) throws IOException {
        byte[] header = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer bytes = ByteBuffer.allocate(8 + header.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        bytes.putLong(header.length).put(header);
        Path file = dir.resolve("model.safetensors");
        Files.write(file, bytes.array());
        return file;
    }
}
