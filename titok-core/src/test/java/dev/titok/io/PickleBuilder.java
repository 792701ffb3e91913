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
 * unusual tensors can be built without PyTorch. Checkpoints as PyTorch really writes them are under
 * {@code src/test/resources/dev/titok/io/legacy}.
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

    /**
     * A legacy persistent id {@code ('storage', torch.<storageClass>, key, 'cpu', numel, view_metadata)}, where
     * view_metadata is None, or {@code (view key, offset, numel)} when {@code view} holds those two numbers.
     */
    PickleBuilder legacyStorage(String storageClass, String key, long numel, long... view) {
        mark().str("storage").global("torch", storageClass).str(key).str("cpu").integer(numel);
        if (view.length == 0) {
            op('N');
        } else {
            mark().str(key + "/view").integer(view[0]).integer(view[1]).op('t');
        }
        return op('t').op('Q');
    }

    /** The pickle, ended with STOP. */
    byte[] bytes() {
        return op('.').out.toByteArray();
    }

    /**
     * A legacy (pre-1.6) torch.save file: the magic number, protocol version and sys_info pickles, the object's
     * pickle, the storage key list, then each storage as an element count and its bytes.
     */
    static final class Legacy {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        /** @param littleEndian what sys_info says about the writing machine */
        Legacy(boolean littleEndian) {
            // LONG1 with the 10 little-endian bytes of the magic number 0x1950a86a20f9469cfc6c
            PickleBuilder number = new PickleBuilder().op('\u008a').op((char) 10);
            number.out.writeBytes(new byte[] {0x6c, (byte) 0xfc, (byte) 0x9c, 0x46, (byte) 0xf9, 0x20, 0x6a, (byte) 0xa8, 0x50, 0x19});
            out.writeBytes(number.bytes());
            out.writeBytes(new PickleBuilder().integer(1001).bytes());
            out.writeBytes(new PickleBuilder().op('}').mark().str("little_endian").op(littleEndian ? '\u0088' : '\u0089').op('u').bytes());
        }

        Legacy pickle(byte[] pickle) {
            out.writeBytes(pickle);
            return this;
        }

        Legacy keys(String... keys) {
            PickleBuilder list = new PickleBuilder().op(']').mark();
            for (String key : keys) {
                list.str(key);
            }
            return pickle(list.op('e').bytes());
        }

        /** A storage's element count in the given byte order, then its bytes. */
        Legacy storage(long count, ByteOrder countOrder, byte[] data) {
            out.writeBytes(ByteBuffer.allocate(8).order(countOrder).putLong(count).array());
            out.writeBytes(data);
            return this;
        }

        Legacy floats(float... values) {
            ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            bytes.asFloatBuffer().put(values);
            return storage(values.length, ByteOrder.LITTLE_ENDIAN, bytes.array());
        }

        byte[] toByteArray() {
            return out.toByteArray();
        }

        Path writeTo(Path file) throws IOException {
            return Files.write(file, toByteArray());
        }
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
