package dev.titok.kernels;

import ai.djl.ndarray.NDArray;

/**
 * A linear layer's weight (out, in) and bias (out) in the kernels' compute type, contiguous; a zero bias stands in
 * for none. In bf16 these are bfloat16 tensors DJL cannot describe: only {@link FusedKernels} reads them.
 */
public record LinearWeights(NDArray weight, NDArray bias) {}
