package dev.titok.io;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.titok.TitokException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The JSON header of a safetensors file, both ways: strict parsing with one readable error per problem, and
 * serialisation in the layout of the official writer (compact JSON, padded with spaces to a multiple of 8).
 */
final class SafeTensorsHeader {

    static final String METADATA_KEY = "__metadata__";

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** One tensor of the header; offsets are relative to the start of the data section. */
    record Entry(String name, DType dtype, long[] shape, long begin, long end) {
        long length() {
            return end - begin;
        }
    }

    private final String file;
    private final long dataSize;
    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    private SafeTensorsHeader(String file, long dataSize) {
        this.file = file;
        this.dataSize = dataSize;
    }

    /**
     * Parses and validates a header.
     *
     * @param file     the file's name, for error messages
     * @param json     the header bytes (without the 8-byte length)
     * @param dataSize bytes of the file after the header
     * @throws TitokException on the first problem found
     */
    static SafeTensorsHeader parse(String file, byte[] json, long dataSize) {
        SafeTensorsHeader header = new SafeTensorsHeader(file, dataSize);
        JsonNode root = header.readJson(json);
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            if (field.getKey().equals(METADATA_KEY)) {
                header.parseMetadata(field.getValue());
            } else {
                header.entries.put(field.getKey(), header.parseEntry(field.getKey(), field.getValue()));
            }
        }
        header.checkNoOverlap();
        return header;
    }

    /** The tensors in file order. */
    Map<String, Entry> entries() {
        return Collections.unmodifiableMap(entries);
    }

    /** The string-to-string {@code __metadata__} map, empty when absent. */
    Map<String, String> metadata() {
        return Collections.unmodifiableMap(metadata);
    }

    /**
     * The header of a file holding {@code tensors} back to back in map order, padded with spaces so the data
     * section starts 8-byte aligned as in files written by the official library.
     */
    static byte[] serialize(Map<String, HostTensor> tensors, Map<String, String> metadata) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator json = JSON.getFactory().createGenerator(out)) {
            json.writeStartObject();
            writeMetadata(json, metadata);
            long offset = 0;
            for (Map.Entry<String, HostTensor> entry : tensors.entrySet()) {
                offset = writeEntry(json, entry.getKey(), entry.getValue(), offset);
            }
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory cannot fail", e);
        }
        while (out.size() % 8 != 0) {
            out.write(' ');
        }
        return out.toByteArray();
    }

    private static void writeMetadata(JsonGenerator json, Map<String, String> metadata) throws IOException {
        if (metadata.isEmpty()) {
            return;
        }
        json.writeObjectFieldStart(METADATA_KEY);
        for (Map.Entry<String, String> entry : metadata.entrySet()) {
            json.writeStringField(entry.getKey(), entry.getValue());
        }
        json.writeEndObject();
    }

    private static long writeEntry(JsonGenerator json, String name, HostTensor tensor, long begin) throws IOException {
        long end = begin + tensor.byteSize();
        json.writeObjectFieldStart(name);
        json.writeStringField("dtype", tensor.dtype().safetensorsName());
        json.writeArrayFieldStart("shape");
        for (long dim : tensor.shape()) {
            json.writeNumber(dim);
        }
        json.writeEndArray();
        json.writeArrayFieldStart("data_offsets");
        json.writeNumber(begin);
        json.writeNumber(end);
        json.writeEndArray();
        json.writeEndObject();
        return end;
    }

    private JsonNode readJson(byte[] json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw error("the header is not valid JSON: %s", e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException("reading from memory cannot fail", e);
        }
        if (root == null || root.isMissingNode()) {
            throw error("the header is empty; expected a JSON object {name: {dtype, shape, data_offsets}}");
        }
        if (!root.isObject()) {
            throw error("the header must be a JSON object {name: {dtype, shape, data_offsets}}, found %s", describe(root));
        }
        return root;
    }

    private void parseMetadata(JsonNode node) {
        if (!node.isObject()) {
            throw error("%s must be an object of strings, found %s", METADATA_KEY, describe(node));
        }
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            if (!field.getValue().isTextual()) {
                throw error("%s must map names to strings, but '%s' holds %s",
                        METADATA_KEY, field.getKey(), describe(field.getValue()));
            }
            metadata.put(field.getKey(), field.getValue().textValue());
        }
    }

    private Entry parseEntry(String name, JsonNode node) {
        if (!node.isObject()) {
            throw error("tensor '%s' must be an object {dtype, shape, data_offsets}, found %s", name, describe(node));
        }
        DType dtype = parseDtype(name, node.get("dtype"));
        long[] shape = parseShape(name, node.get("shape"));
        long[] offsets = parseOffsets(name, node.get("data_offsets"));
        long begin = offsets[0];
        long end = offsets[1];
        if (end > dataSize) {
            throw error("truncated: tensor '%s' ends at byte %,d of the data section but the file holds only %,d",
                    name, end, dataSize);
        }
        long expected = byteSize(name, dtype, shape);
        if (end - begin != expected) {
            throw error("tensor '%s' of dtype %s and shape %s needs %,d bytes, but its data_offsets [%d, %d] span %,d",
                    name, dtype.safetensorsName(), Arrays.toString(shape), expected, begin, end, end - begin);
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    private DType parseDtype(String name, JsonNode node) {
        String supported = Stream.of(DType.values()).map(DType::safetensorsName).collect(Collectors.joining(", "));
        if (node == null || !node.isTextual()) {
            throw error("tensor '%s' has dtype %s; expected one of %s", name, describe(node), supported);
        }
        return DType.fromSafetensorsName(node.textValue()).orElseThrow(() -> error(
                "tensor '%s' has dtype '%s', which is not supported; expected one of %s", name, node.textValue(), supported));
    }

    private long[] parseShape(String name, JsonNode node) {
        long[] shape = nonNegativeLongs(node);
        if (shape == null) {
            throw error("tensor '%s' has shape %s; expected a list of non-negative integers", name, describe(node));
        }
        return shape;
    }

    private long[] parseOffsets(String name, JsonNode node) {
        long[] offsets = nonNegativeLongs(node);
        if (offsets == null || offsets.length != 2 || offsets[0] > offsets[1]) {
            throw error("tensor '%s' has data_offsets %s; expected [begin, end] with 0 <= begin <= end",
                    name, describe(node));
        }
        return offsets;
    }

    private long byteSize(String name, DType dtype, long[] shape) {
        try {
            return HostTensor.byteSize(dtype, shape);
        } catch (ArithmeticException e) {
            throw error("tensor '%s' has shape %s, whose byte size does not fit in 64 bits", name, Arrays.toString(shape));
        }
    }

    /** The values of a JSON array of non-negative 64-bit integers, or null when it is anything else. */
    private static long[] nonNegativeLongs(JsonNode node) {
        if (node == null || !node.isArray()) {
            return null;
        }
        long[] values = new long[node.size()];
        for (int i = 0; i < values.length; i++) {
            JsonNode item = node.get(i);
            if (!item.isIntegralNumber() || !item.canConvertToLong() || item.longValue() < 0) {
                return null;
            }
            values[i] = item.longValue();
        }
        return values;
    }

    private void checkNoOverlap() {
        List<Entry> byBegin = new ArrayList<>();
        for (Entry entry : entries.values()) {
            // an empty tensor occupies no bytes, so it cannot overlap anything
            if (entry.length() > 0) {
                byBegin.add(entry);
            }
        }
        byBegin.sort(Comparator.comparingLong(Entry::begin));
        Entry furthest = null;
        for (Entry entry : byBegin) {
            if (furthest != null && entry.begin() < furthest.end()) {
                throw error("tensors '%s' [%,d, %,d) and '%s' [%,d, %,d) overlap in the data section",
                        furthest.name(), furthest.begin(), furthest.end(), entry.name(), entry.begin(), entry.end());
            }
            if (furthest == null || entry.end() > furthest.end()) {
                furthest = entry;
            }
        }
    }

    private static String describe(JsonNode node) {
        if (node == null || node.isMissingNode()) {
            return "(missing)";
        }
        String text = node.toString();
        return text.length() <= 80 ? text : text.substring(0, 77) + "...";
    }

    private TitokException error(String format, Object... args) {
        return new TitokException(file + ": " + String.format(format, args));
    }
}
