package dev.titok.io;

import java.util.Optional;

/**
 * Element types of tensors read from and written to weight files, named as in the safetensors header.
 */
public enum DType {
    F32(4, "F32", true),
    F16(2, "F16", true),
    BF16(2, "BF16", true),
    F64(8, "F64", true),
    I64(8, "I64", false),
    I32(4, "I32", false),
    I16(2, "I16", false),
    I8(1, "I8", false),
    U8(1, "U8", false),
    BOOL(1, "BOOL", false);

    private final int byteSize;
    private final String safetensorsName;
    private final boolean floatingPoint;

    DType(int byteSize, String safetensorsName, boolean floatingPoint) {
        this.byteSize = byteSize;
        this.safetensorsName = safetensorsName;
        this.floatingPoint = floatingPoint;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** The {@code dtype} string of a safetensors header, e.g. {@code "BF16"}. */
    public String safetensorsName() {
        return safetensorsName;
    }

    /** True for F32, F16, BF16 and F64. */
    public boolean isFloatingPoint() {
        return floatingPoint;
    }

    /** The type with the given safetensors name, or empty when it is not one of ours (e.g. {@code F8_E4M3}). */
    public static Optional<DType> fromSafetensorsName(String name) {
        for (DType type : values()) {
            if (type.safetensorsName.equals(name)) {
                return Optional.of(type);
            }
        }
        return Optional.empty();
    }
}
