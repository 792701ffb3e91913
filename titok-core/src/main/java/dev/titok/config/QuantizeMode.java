package dev.titok.config;

/** How the encoder output becomes tokens: discrete vector quantization, or a diagonal Gaussian (continuous tokens). */
public enum QuantizeMode { VQ, VAE }
