package dev.titok.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * This process's resident memory as Linux reports it in {@code /proc/self/status}, for benchmarks; empty elsewhere.
 * Native (libtorch) memory counts, unlike anything the JVM's own counters see.
 */
final class ResidentMemory {

    private static final Path STATUS = Path.of("/proc/self/status");
    private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");

    private ResidentMemory() {}

    /** Resident memory now ({@code VmRSS}), in bytes. */
    static OptionalLong current() {
        return field("VmRSS:");
    }

    /** The most resident memory since the start or the last {@link #resetPeak} ({@code VmHWM}), in bytes. */
    static OptionalLong peak() {
        return field("VmHWM:");
    }

    /** Restarts the peak from the current resident memory (Linux 4.0+); false when the kernel does not allow it. */
    static boolean resetPeak() {
        try {
            Files.writeString(CLEAR_REFS, "5");
            return true;
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return false;
        }
    }

    private static OptionalLong field(String name) {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith(name)) {
                    // "VmHWM:	  123456 kB"
                    return OptionalLong.of(1024 * Long.parseLong(line.substring(name.length()).replace("kB", "").trim()));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return OptionalLong.empty();
        }
        return OptionalLong.empty();
    }
}
