package dev.titok.kernels;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * libtorch's fused CPU kernels, reached through a small TorchScript module that Java writes and loads at first use:
 * oneDNN's linear layer with fused bias and GELU ({@code mkldnn::_linear_pointwise}: about twice libtorch's own
 * float32 GEMM on AMD CPUs, where that runs through MKL), attention ({@code scaled_dot_product_attention} where it
 * pays, else the composed products in the compute type), the native group norm, and the bfloat16 convolution. One
 * instance serves one model in one compute type; the converted weights it makes belong to its manager.
 *
 * <p>Every method takes and returns float32 tensors (B, T, features) or (B, C, H, W); in {@link Kernels#BF16} the
 * conversion to bfloat16 happens inside the call and intermediates (the MLP's hidden layer, q/k/v, the attention
 * output) never leave it. Results belong to the manager of the input, as DJL's own operations do.
 */
public final class FusedKernels {

    private static final int FLOAT32 = 6;
    private static final int BFLOAT16 = 15;

    /**
     * The module's methods, two spaces in as the class body. oneDNN's pointwise-fusion arguments: the attribute
     * ({@code "none"} or {@code "gelu"}), its scalars (none) and its algorithm ({@code "none"}: exact erf GELU).
     */
    private static final String BODY = """
              def bf16_supported(self: __torch__.FusedKernels) -> bool:
                return ops.mkldnn._is_mkldnn_bf16_supported()
              def cast(self: __torch__.FusedKernels, x: Tensor, dtype: int) -> Tensor:
                return torch.contiguous(torch.to(x, dtype))
              def linear(self: __torch__.FusedKernels, x: Tensor, w: Tensor, b: Tensor, dtype: int) -> Tensor:
                y = ops.mkldnn._linear_pointwise(torch.to(x, dtype), w, b, "none", annotate(List[Optional[number]], []), "none")
                return torch.to(y, 6)
              def mlp(self: __torch__.FusedKernels, x: Tensor, fc_w: Tensor, fc_b: Tensor, proj_w: Tensor, proj_b: Tensor, dtype: int) -> Tensor:
                h = ops.mkldnn._linear_pointwise(torch.to(x, dtype), fc_w, fc_b, "gelu", annotate(List[Optional[number]], []), "none")
                y = ops.mkldnn._linear_pointwise(h, proj_w, proj_b, "none", annotate(List[Optional[number]], []), "none")
                return torch.to(y, 6)
              def attention(self: __torch__.FusedKernels, q: Tensor, k: Tensor, v: Tensor, scale: float, flash: bool) -> Tensor:
                if flash:
                  return torch.scaled_dot_product_attention(q, k, v)
                s = torch.matmul(torch.mul(q, scale), torch.transpose(k, -2, -1))
                return torch.matmul(torch.softmax(s, -1), v)
              def self_attention(self: __torch__.FusedKernels, x: Tensor, in_w: Tensor, in_b: Tensor, out_w: Tensor, out_b: Tensor, heads: int, scale: float, flash: bool, dtype: int) -> Tensor:
                b = torch.size(x, 0)
                t = torch.size(x, 1)
                qkv = ops.mkldnn._linear_pointwise(torch.to(x, dtype), in_w, in_b, "none", annotate(List[Optional[number]], []), "none")
                qkv = torch.permute(torch.reshape(qkv, [b, t, 3, heads, -1]), [2, 0, 3, 1, 4])
                o = self.attention(torch.select(qkv, 0, 0), torch.select(qkv, 0, 1), torch.select(qkv, 0, 2), scale, flash)
                o = torch.reshape(torch.transpose(o, 1, 2), [b, t, -1])
                y = ops.mkldnn._linear_pointwise(o, out_w, out_b, "none", annotate(List[Optional[number]], []), "none")
                return torch.to(y, 6)
              def attend(self: __torch__.FusedKernels, q: Tensor, k: Tensor, v: Tensor, scale: float, flash: bool, dtype: int) -> Tensor:
                b = torch.size(q, 0)
                t = torch.size(q, 2)
                o = self.attention(torch.to(q, dtype), torch.to(k, dtype), torch.to(v, dtype), scale, flash)
                return torch.to(torch.reshape(torch.transpose(o, 1, 2), [b, t, -1]), 6)
              def group_norm_silu(self: __torch__.FusedKernels, x: Tensor, gn_w: Tensor, gn_b: Tensor, groups: int, eps: float) -> Tensor:
                return torch.silu(torch.group_norm(x, groups, gn_w, gn_b, eps))
              def group_norm_silu_conv(self: __torch__.FusedKernels, x: Tensor, gn_w: Tensor, gn_b: Tensor, groups: int, eps: float, w: Tensor, b: Tensor, padding: List[int], stride: List[int], dtype: int) -> Tensor:
                h = torch.silu(torch.group_norm(x, groups, gn_w, gn_b, eps))
                y = torch.conv2d(torch.to(h, dtype), w, b, stride, padding)
                return torch.contiguous(torch.to(y, 6))
              def conv2d(self: __torch__.FusedKernels, x: Tensor, w: Tensor, b: Tensor, padding: List[int], stride: List[int], dtype: int) -> Tensor:
                y = torch.conv2d(torch.to(x, dtype), w, b, stride, padding)
                return torch.contiguous(torch.to(y, 6))
            """;

    private static ScriptModule module;
    private static Boolean bf16Supported;
    /** See {@link #flashPays}; the system property {@code titok.kernels.flashMinTokens} overrides it. */
    private static final long FLASH_MIN_TOKENS = 1024;
    /** See {@link #convSupported}. */
    private static final long CONV_CHANNEL_BLOCK = 16;

    private final long flashMinTokens = Long.getLong("titok.kernels.flashMinTokens", FLASH_MIN_TOKENS);
    /** Every layer's weights this instance will convert (see {@link #lazily}). */
    private final List<LazyWeights<?>> pending = new CopyOnWriteArrayList<>();
    private final int dtype;
    private final NDManager manager;
    private final ScriptModule ops;

    private FusedKernels(Kernels kernels, NDManager manager) {
        this.dtype = kernels == Kernels.BF16 ? BFLOAT16 : FLOAT32;
        this.manager = manager;
        this.ops = module();
    }

    /**
     * Kernels computing in {@code kernels}' type whose converted weights belong to {@code manager}; null for
     * {@link Kernels#REFERENCE}. Refuses {@link Kernels#BF16} on a CPU without bfloat16 support.
     */
    public static FusedKernels create(Kernels kernels, NDManager manager) {
        if (kernels == Kernels.REFERENCE) {
            return null;
        }
        if (kernels == Kernels.BF16 && !bf16Supported()) {
            throw new IllegalStateException("bf16 kernels need a CPU with bfloat16 instructions (AVX512-BF16 or AMX); "
                    + "this one has none: use fp32");
        }
        return new FusedKernels(kernels, manager);
    }

    /** Whether oneDNN can compute in bfloat16 on this CPU. */
    public static synchronized boolean bf16Supported() {
        if (bf16Supported == null) {
            bf16Supported = module().callBoolean("bf16_supported");
        }
        return bf16Supported;
    }

    /** The shared module; libtorch runs a loaded module's methods from any number of threads at once. */
    private static synchronized ScriptModule module() {
        if (module == null) {
            // A manager of its own that lives as long as the process: the module is shared by every model.
            module = ScriptModule.load(NDManager.newBaseManager(), "FusedKernels", BODY);
        }
        return module;
    }

    /** How many fused calls (weight conversions included) this process has made: shows which path a model takes. */
    public static synchronized long callCount() {
        return module == null ? 0 : module.calls();
    }

    /**
     * Weights converted by {@code convert} at their first use (a module's first forward pass), so that a model pays
     * only for the layers it runs; {@link #convertAll} converts the rest at once.
     */
    public <T> LazyWeights<T> lazily(Supplier<T> convert) {
        LazyWeights<T> weights = new LazyWeights<>(convert);
        pending.add(weights);
        return weights;
    }

    /** Converts every layer's weights now (benchmarks do, so that no conversion falls into a measurement). */
    public void convertAll() {
        pending.forEach(LazyWeights::get);
    }

    /** {@code weight} (out, in) and {@code bias} (out) or null, converted once for {@link #linear} and the fused layers. */
    public LinearWeights linearWeights(NDArray weight, NDArray bias) {
        return new LinearWeights(cast(weight), castBias(bias, weight.getShape().get(0)));
    }

    /** {@code x·Wᵀ + b}: (..., in) → (..., out). */
    public NDArray linear(NDArray x, LinearWeights layer) {
        return ops.call(x.getManager(), "linear", x, layer.weight(), layer.bias(), dtype);
    }

    /** {@code proj(gelu(fc(x)))} with exact (erf) GELU: (..., in) → (..., out). */
    public NDArray mlp(NDArray x, LinearWeights fc, LinearWeights proj) {
        return ops.call(x.getManager(), "mlp", x, fc.weight(), fc.bias(), proj.weight(), proj.bias(), dtype);
    }

    /**
     * Multi-head self-attention with one input projection whose output features are laid out
     * [q | k | v], head j owning features [j·d, (j+1)·d) of each: (B, T, E) → (B, T, E). The attention itself runs
     * on the kernel that is faster for this sequence length ({@link #flashPays}).
     */
    public NDArray selfAttention(NDArray x, LinearWeights qkv, LinearWeights out, int heads) {
        return selfAttention(x, qkv, out, heads, flashPays(x.getShape().get(1)));
    }

    /** {@link #selfAttention} with the attention kernel chosen by the caller (the tests check both). */
    NDArray selfAttention(NDArray x, LinearWeights qkv, LinearWeights out, int heads, boolean flash) {
        long headDim = x.getShape().get(2) / heads;
        return ops.call(x.getManager(), "self_attention", x, qkv.weight(), qkv.bias(), out.weight(), out.bias(),
                (long) heads, 1.0 / Math.sqrt(headDim), flash, dtype);
    }

    /**
     * {@code softmax(q·kᵀ/√d)·v} for q, k, v (B, heads, T, d), the heads concatenated, (B, T, heads·d), on the
     * attention kernel the caller chooses: the attention core of {@link #selfAttention} on its own, for the tests.
     */
    NDArray attend(NDArray q, NDArray k, NDArray v, boolean flash) {
        return ops.call(q.getManager(), "attend", q, k, v, 1.0 / Math.sqrt(q.getShape().get(3)), flash, dtype);
    }

    /**
     * Whether PyTorch's fused {@code scaled_dot_product_attention} (flash attention on CPU) beats the composed
     * {@code softmax(q·kᵀ·scale)·v} for {@code tokens} tokens. Measured with libtorch 2.7.1 on 2 AVX-512 cores,
     * 12 heads of 64 ({@code titok bench attention}, {@link AttentionProbe}): in float32 flash is 2.0x slower at 33
     * tokens (batch 64), 1.2x slower at 321 and 1.1x faster at 1024; in bfloat16 the composed path, whose matrix
     * products run on oneDNN's bf16 GEMM, wins at every length (2.4x at 1024). TiTok's sequences are at most 321
     * tokens, so flash runs only for long float32 sequences. The crossover differs between CPUs:
     * {@code -Dtitok.kernels.flashMinTokens=N} moves it (0: flash always, in both types), read when a model switches
     * kernels.
     */
    boolean flashPays(long tokens) {
        return tokens >= flashMinTokens && (dtype == FLOAT32 || flashMinTokens == 0);
    }

    /**
     * Whether {@link #conv2d} computes {@code weight} (out, in, k, k) correctly. libtorch 2.7.1's bfloat16 CPU
     * convolution gives wrong sums when the output channels are not a multiple of 16, and reads uninitialised memory
     * (NaNs, now and then) when the input channels are not, so in bf16 such layers (the patch embedding's 3 input
     * channels, the pixel decoder's 3 output channels) stay on the float32 reference path.
     */
    public boolean convSupported(NDArray weight) {
        Shape shape = weight.getShape();
        return dtype == FLOAT32 || shape.get(0) % CONV_CHANNEL_BLOCK == 0 && shape.get(1) % CONV_CHANNEL_BLOCK == 0;
    }

    /** A convolution's {@code weight} (out, in, k, k) and {@code bias} (out) or null, converted once for {@link #conv2d}. */
    public ConvWeights convWeights(NDArray weight, NDArray bias, int stride, int padding) {
        if (!convSupported(weight)) {
            throw new IllegalArgumentException("no fused convolution for weights of shape " + weight.getShape()
                    + ": channels must be multiples of " + CONV_CHANNEL_BLOCK);
        }
        return new ConvWeights(cast(weight), castBias(bias, weight.getShape().get(0)), new long[] {padding, padding},
                new long[] {stride, stride});
    }

    /** (B, in, H, W) → (B, out, H', W'), contiguous. */
    public NDArray conv2d(NDArray x, ConvWeights conv) {
        return ops.call(x.getManager(), "conv2d", x, conv.weight(), conv.bias(), conv.padding(), conv.stride(), dtype);
    }

    /** A contiguous copy in the compute type; in float32 the (contiguous) parameter itself, shared, not copied. */
    /** {@code silu(group_norm(x))} in float32 with libtorch's native group norm: (B, C, H, W) → (B, C, H, W). */
    public NDArray groupNormSilu(NDArray x, NDArray weight, NDArray bias, int groups, double eps) {
        return ops.call(x.getManager(), "group_norm_silu", x, weight, bias, (long) groups, eps);
    }

    /**
     * {@code conv(silu(group_norm(x)))} in one call, the norm in float32 and the convolution in the kernels' type:
     * (B, in, H, W) → (B, out, H', W').
     */
    public NDArray groupNormSiluConv(NDArray x, NDArray weight, NDArray bias, int groups, double eps, ConvWeights conv) {
        return ops.call(x.getManager(), "group_norm_silu_conv", x, weight, bias, (long) groups, eps, conv.weight(),
                conv.bias(), conv.padding(), conv.stride(), dtype);
    }

    private NDArray cast(NDArray a) {
        return keep(ops.call(manager, "cast", a, dtype));
    }

    private NDArray castBias(NDArray bias, long out) {
        if (bias != null) {
            return cast(bias);
        }
        try (NDArray zeros = manager.zeros(new Shape(out))) {
            return cast(zeros);
        }
    }

    /** Converted weights live as long as their model, whatever scope converting them happened in. */
    private static NDArray keep(NDArray a) {
        NDScope.unregister(a);
        return a;
    }
}
