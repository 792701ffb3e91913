package dev.titok.kernels;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes the smallest archive {@code torch::jit::load} accepts for a parameter-free module: the class's TorchScript
 * source ({@code code/__torch__.py}), a pickled instance of it ({@code data.pkl}, whose only attribute is
 * {@code training}), an empty constants table and the file-format version. This lets Java reach libtorch kernels
 * that DJL does not bind without any Python or model file: the methods of the class take every tensor as an argument.
 *
 * <p>The source is TorchScript's serialized dialect, as {@code torch.jit.save} writes it: {@code self} is annotated
 * with the qualified class name, dtypes are their integer codes (6 float32, 15 bfloat16) and operators outside
 * {@code aten} are reached as {@code ops.namespace.name}.
 */
final class TorchScriptArchive {

    /** The produced file-format version of libtorch (caffe2/serialize/versions.h); no operator here is versioned. */
    private static final String VERSION = "3\n";

    private TorchScriptArchive() {}

    /**
     * The archive of a module class named {@code className} (qualified as {@code __torch__.className}) whose body
     * is {@code classBody}: attribute declarations and methods, indented by two spaces as in the saved source.
     */
    static byte[] write(String className, String classBody) {
        if (!className.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new IllegalArgumentException("not a TorchScript class name: " + className);
        }
        String source = "class " + className + "(Module):\n"
                + "  __parameters__ = []\n"
                + "  __buffers__ = []\n"
                + "  training : bool\n"
                + classBody;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            // PyTorchStreamReader takes the first entry's folder as the archive's name; every record lives under it.
            store(zip, "archive/data.pkl", instancePickle(className));
            store(zip, "archive/code/__torch__.py", source.getBytes(StandardCharsets.UTF_8));
            store(zip, "archive/constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'});   // protocol 2, empty tuple
            store(zip, "archive/version", VERSION.getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /**
     * {@code __torch__.<className>()} with state {@code {"training": False}}, in pickle protocol 2: GLOBAL, EMPTY_TUPLE,
     * NEWOBJ, then BUILD with the attribute dict (the loader fills the object's slots from it by name).
     */
    private static byte[] instancePickle(String className) {
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.write(0x80);
        p.write(2);                                                   // PROTO 2
        p.writeBytes(("c__torch__\n" + className + "\n").getBytes(StandardCharsets.US_ASCII)); // GLOBAL
        p.write(')');                                                 // EMPTY_TUPLE
        p.write(0x81);                                                // NEWOBJ
        p.write('}');                                                 // EMPTY_DICT
        p.write('(');                                                 // MARK
        byte[] key = "training".getBytes(StandardCharsets.US_ASCII);
        p.write('X');                                                 // BINUNICODE
        p.writeBytes(new byte[] {(byte) key.length, 0, 0, 0});
        p.writeBytes(key);
        p.write(0x89);                                                // NEWFALSE
        p.write('u');                                                 // SETITEMS
        p.write('b');                                                 // BUILD
        p.write('.');                                                 // STOP
        return p.toByteArray();
    }

    private static void store(ZipOutputStream zip, String name, byte[] data) throws IOException {
        ZipEntry entry = new ZipEntry(name);
        CRC32 crc = new CRC32();
        crc.update(data);
        entry.setMethod(ZipEntry.STORED);
        entry.setSize(data.length);
        entry.setCompressedSize(data.length);
        entry.setCrc(crc.getValue());
        entry.setTime(315532800000L);   // 1980-01-01: the same bytes on every run
        zip.putNextEntry(entry);
        zip.write(data);
        zip.closeEntry();
    }
}
