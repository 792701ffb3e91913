package dev.titok.kernels;

import ai.djl.ndarray.NDArray;

/**
 * A convolution's weight (out, in, k, k) and bias (out) in the kernels' compute type (a zero bias stands in for
 * none), with its symmetric padding and stride. Only {@link FusedKernels} reads them.
 */
public record ConvWeights(NDArray weight, NDArray bias, long[] padding, long[] stride) {}
