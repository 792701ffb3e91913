package dev.titok.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes pickle protocol 2 opcodes by hand, the way torch.save lays out a state dict, so that checkpoints with
 * unusual tensors can be built without PyTorch.
 */
final class PickleBuilder {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    PickleBuilder() {
        out.write(0x80); // PROTO
        out.write(2);
    }

    PickleBuilder global(String module, String name) {
        out.write('c');
        out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
        return this;
    }

    PickleBuilder str(String text) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        out.write('X'); // BINUNICODE
        out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(utf8.length).array());
        out.writeBytes(utf8);
        return this;
    }

    PickleBuilder integer(long value) {
        out.write('J'); // BININT, 4 bytes signed
        out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(Math.toIntExact(value)).array());
        return this;
    }

    /** A tuple of ints, e.g. a size or a stride. */
    PickleBuilder ints(long... values) {
        mark();
        for (long value : values) {
            integer(value);
        }
        return op('t');
    }

    PickleBuilder mark() {
        return op('(');
    }

    PickleBuilder op(char opcode) {
        out.write(opcode);
        return this;
    }

    /** {@code collections.OrderedDict()} */
    PickleBuilder orderedDict() {
        return global("collections", "OrderedDict").op(')').op('R');
    }

    /**
     * {@code torch._utils._rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())} with the storage
     * given as the persistent id {@code ('storage', torch.<storageClass>, key, 'cpu', numel)}.
     */
    PickleBuilder tensor(String storageClass, String key, long numel, long offset, long[] size, long[] stride) {
        global("torch._utils", "_rebuild_tensor_v2").mark();
        mark().str("storage").global("torch", storageClass).str(key).str("cpu").integer(numel).op('t').op('Q');
        integer(offset).ints(size).ints(stride).op('\u0089').orderedDict();
        return op('t').op('R');
    }

    /** The pickle, ended with STOP. */
    byte[] bytes() {
        return op('.').out.toByteArray();
    }

    /** A zip laid out like torch.save's: {@code archive/data.pkl}, {@code archive/data/<key>}, {@code archive/version}. */
    static final class Checkpoint {
        private final Map<String, byte[]> entries = new LinkedHashMap<>();

        Checkpoint pickle(byte[] pickle) {
            return entry("archive/data.pkl", pickle);
        }

        Checkpoint floats(String key, float... values) {
            ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            bytes.asFloatBuffer().put(values);
            return entry("archive/data/" + key, bytes.array());
        }

        Checkpoint entry(String name, byte[] content) {
            entries.put(name, content);
            return this;
        }

        Path writeTo(Path file) throws IOException {
            entries.putIfAbsent("archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
            try (OutputStream os = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(os)) {
                for (Map.Entry<String, byte[]> entry : entries.entrySet()) {
                    zip.putNextEntry(new ZipEntry(entry.getKey()));
                    zip.write(entry.getValue());
                    zip.closeEntry();
                }
            }
            return file;
        }
    }
}
