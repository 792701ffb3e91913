package dev.titok.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * Writes a zip archive of uncompressed ("stored") entries to a seekable channel, as {@code numpy.savez} lays out an
 * .npz: each entry's size is declared up front and its CRC-32 is patched into the local header once the data has
 * been written, so an entry of any size streams through without being held in memory. Zip64 records are added
 * where a size, an offset or the entry count needs them, as {@code java.util.zip.ZipOutputStream} does; Python's
 * {@code zipfile} and Java's {@code ZipFile} read both forms.
 *
 * <p>Not thread-safe. Entry names must be ASCII.
 */
final class StoredZipWriter {

    private static final int LOCAL_HEADER = 0x04034b50;
    private static final int CENTRAL_HEADER = 0x02014b50;
    private static final int END_OF_CENTRAL_DIRECTORY = 0x06054b50;
    private static final int ZIP64_END = 0x06064b50;
    private static final int ZIP64_LOCATOR = 0x07064b50;
    private static final short ZIP64_EXTRA_ID = 0x0001;
    private static final long MAX_32 = 0xffffffffL;
    private static final int MAX_16 = 0xffff;
    private static final short VERSION_PLAIN = 20;
    private static final short VERSION_ZIP64 = 45;
    /** 1980-01-01 00:00, the earliest MS-DOS date: a fixed time stamp keeps the archive reproducible. */
    private static final short DOS_DATE = (1 << 5) | 1;
    /** Offset of the CRC-32 field in a local file header. */
    private static final int CRC_OFFSET = 14;

    private record Entry(byte[] name, long headerOffset, long size, int crc) {}

    private final FileChannel channel;
    /** Sizes and offsets from this value on are written as zip64 records. */
    private final long zip64From;
    private final List<Entry> entries = new ArrayList<>();
    private final CRC32 crc = new CRC32();
    private byte[] currentName;
    private long currentOffset;
    private long currentSize;
    private long currentWritten;

    StoredZipWriter(FileChannel channel) {
        this(channel, MAX_32);
    }

    /** A writer that uses zip64 records from a lower size on, so that tests can check them without writing 4 GiB. */
    StoredZipWriter(FileChannel channel, long zip64From) {
        this.channel = channel;
        this.zip64From = zip64From;
    }

    /** Starts an entry of exactly {@code size} bytes, written with {@link #write} and closed with {@link #endEntry}. */
    void beginEntry(String name, long size) throws IOException {
        if (currentName != null) {
            throw new IllegalStateException("entry " + new String(currentName, StandardCharsets.US_ASCII) + " is still open");
        }
        byte[] nameBytes = name.getBytes(StandardCharsets.US_ASCII);
        boolean zip64 = size >= zip64From;
        ByteBuffer header = little(30 + nameBytes.length + (zip64 ? 20 : 0));
        header.putInt(LOCAL_HEADER)
                .putShort(zip64 ? VERSION_ZIP64 : VERSION_PLAIN)
                .putShort((short) 0)                 // flags
                .putShort((short) 0)                 // method: stored
                .putShort((short) 0)                 // time
                .putShort(DOS_DATE)
                .putInt(0)                           // CRC-32, patched by endEntry
                .putInt((int) (zip64 ? MAX_32 : size))
                .putInt((int) (zip64 ? MAX_32 : size))
                .putShort((short) nameBytes.length)
                .putShort((short) (zip64 ? 20 : 0))
                .put(nameBytes);
        if (zip64) {
            header.putShort(ZIP64_EXTRA_ID).putShort((short) 16).putLong(size).putLong(size);
        }
        currentOffset = channel.position();
        writeFully(header.flip());
        currentName = nameBytes;
        currentSize = size;
        currentWritten = 0;
        crc.reset();
    }

    /** Appends data to the open entry. */
    void write(ByteBuffer data) throws IOException {
        int length = data.remaining();
        if (currentWritten + length > currentSize) {
            throw new IllegalStateException(String.format("entry %s was declared with %,d bytes; %,d more would exceed it",
                    new String(currentName, StandardCharsets.US_ASCII), currentSize, currentWritten + length - currentSize));
        }
        crc.update(data.duplicate());
        writeFully(data);
        currentWritten += length;
    }

    /** Closes the open entry, which must have received exactly its declared size. */
    void endEntry() throws IOException {
        if (currentWritten != currentSize) {
            throw new IllegalStateException(String.format("entry %s was declared with %,d bytes but received %,d",
                    new String(currentName, StandardCharsets.US_ASCII), currentSize, currentWritten));
        }
        int value = (int) crc.getValue();
        ByteBuffer field = little(4).putInt(value).flip();
        long at = currentOffset + CRC_OFFSET;
        while (field.hasRemaining()) {
            at += channel.write(field, at);
        }
        entries.add(new Entry(currentName, currentOffset, currentSize, value));
        currentName = null;
    }

    /** Writes the central directory; the archive is complete afterwards. */
    void finish() throws IOException {
        if (currentName != null) {
            throw new IllegalStateException("entry " + new String(currentName, StandardCharsets.US_ASCII) + " is still open");
        }
        long directoryOffset = channel.position();
        for (Entry entry : entries) {
            writeCentralHeader(entry);
        }
        long directorySize = channel.position() - directoryOffset;
        boolean zip64 = entries.size() >= MAX_16 || directoryOffset >= zip64From || directorySize >= zip64From;
        if (zip64) {
            long zip64EndOffset = channel.position();
            writeFully(little(56 + 20)
                    .putInt(ZIP64_END)
                    .putLong(44)                     // size of the rest of this record
                    .putShort(VERSION_ZIP64)
                    .putShort(VERSION_ZIP64)
                    .putInt(0)                       // this disk
                    .putInt(0)                       // disk of the central directory
                    .putLong(entries.size())
                    .putLong(entries.size())
                    .putLong(directorySize)
                    .putLong(directoryOffset)
                    .putInt(ZIP64_LOCATOR)
                    .putInt(0)
                    .putLong(zip64EndOffset)
                    .putInt(1)                       // total disks
                    .flip());
        }
        short count = (short) (zip64 ? MAX_16 : entries.size());
        writeFully(little(22)
                .putInt(END_OF_CENTRAL_DIRECTORY)
                .putShort((short) 0)
                .putShort((short) 0)
                .putShort(count)
                .putShort(count)
                .putInt((int) (zip64 ? MAX_32 : directorySize))
                .putInt((int) (zip64 ? MAX_32 : directoryOffset))
                .putShort((short) 0)                 // comment length
                .flip());
    }

    private void writeCentralHeader(Entry entry) throws IOException {
        boolean bigSize = entry.size >= zip64From;
        boolean bigOffset = entry.headerOffset >= zip64From;
        int extra = (bigSize ? 16 : 0) + (bigOffset ? 8 : 0);
        ByteBuffer header = little(46 + entry.name.length + (extra > 0 ? 4 + extra : 0));
        short version = bigSize || bigOffset ? VERSION_ZIP64 : VERSION_PLAIN;
        header.putInt(CENTRAL_HEADER)
                .putShort(version)                   // made by (MS-DOS attributes)
                .putShort(version)                   // needed
                .putShort((short) 0)
                .putShort((short) 0)
                .putShort((short) 0)
                .putShort(DOS_DATE)
                .putInt(entry.crc)
                .putInt((int) (bigSize ? MAX_32 : entry.size))
                .putInt((int) (bigSize ? MAX_32 : entry.size))
                .putShort((short) entry.name.length)
                .putShort((short) (extra > 0 ? 4 + extra : 0))
                .putShort((short) 0)                 // comment length
                .putShort((short) 0)                 // disk
                .putShort((short) 0)                 // internal attributes
                .putInt(0)                           // external attributes
                .putInt((int) (bigOffset ? MAX_32 : entry.headerOffset))
                .put(entry.name);
        if (extra > 0) {
            header.putShort(ZIP64_EXTRA_ID).putShort((short) extra);
            if (bigSize) {
                header.putLong(entry.size).putLong(entry.size);
            }
            if (bigOffset) {
                header.putLong(entry.headerOffset);
            }
        }
        writeFully(header.flip());
    }

    private void writeFully(ByteBuffer buffer) throws IOException {
        AtomicFiles.writeFully(channel, buffer);
    }

    private static ByteBuffer little(int capacity) {
        return ByteBuffer.allocate(capacity).order(ByteOrder.LITTLE_ENDIAN);
    }
}
