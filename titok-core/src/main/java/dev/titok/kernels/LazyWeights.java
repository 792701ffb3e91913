package dev.titok.kernels;

import java.util.function.Supplier;

/**
 * Weights a module converts for the fused kernels on its first forward pass rather than when the model switches
 * kernels, so that tokenizing converts the encoder only. Made by {@link FusedKernels#lazily}. Thread-safe.
 */
public final class LazyWeights<T> {

    private final Supplier<T> convert;
    private volatile T value;

    LazyWeights(Supplier<T> convert) {
        this.convert = convert;
    }

    public T get() {
        T v = value;
        if (v == null) {
            synchronized (this) {
                if (value == null) {
                    value = convert.get();
                }
                v = value;
            }
        }
        return v;
    }
}
