package dev.titok.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.pooling.Pool;
import ai.djl.pytorch.jni.JniUtils;
import dev.titok.TitokException;
import dev.titok.io.HostTensor;
import dev.titok.io.WeightsFile;
import dev.titok.nn.BatchNorm2d;
import dev.titok.nn.Init;
import dev.titok.nn.Model;
import dev.titok.nn.Module;
import dev.titok.nn.Parameter;
import dev.titok.tensor.Ops;
import dev.titok.tensor.Tensors;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The InceptionV3 of FID and Inception Score (SPEC §6.2): the 2015 TensorFlow graph as the official evaluator runs it
 * (torch-fidelity's TF-compatible blocks with the weights {@code pt_inception-2015-12-05-6726825d.pth} of the
 * pytorch-fid release), in float64 like the evaluator.
 *
 * <p>It differs from torchvision's InceptionV3 where TensorFlow did: 1008 classes; BatchNorm eps 1e-3; the average
 * pools of the A, C and E_1 blocks divide by the number of in-image pixels (padding excluded); the last block (E_2)
 * pools with a max instead; images are resized to 299×299 by TF1's bilinear rule (source = destination·in/out, no
 * half-pixel offset) and mapped by {@code (x − 128)/128}.
 *
 * <p>Parameter names are the checkpoint's ({@code Mixed_6b.branch7x7dbl_3.conv.weight}), so the pytorch-fid file or a
 * safetensors copy of it loads by name. Outputs: the 2048 pooled features (FID) and the 1008 "unbiased" logits, the
 * pooled features times {@code fc.weight} without the bias (Inception Score).
 */
public final class InceptionV3 extends Model implements FeatureSpace {

    /** The side images are resized to. */
    public static final int INPUT_SIZE = 299;
    /** Pooled features: the FID feature space. */
    public static final int FEATURES = 2048;
    /** Logits: 1000 ImageNet classes plus 8 unused ones of the 2015 graph. */
    public static final int CLASSES = 1008;
    /** BatchNorm epsilon of the TensorFlow graph. */
    static final double BN_EPS = 1e-3;
    /** Images per forward pass of {@link #features}: the float64 activations of one stage stay under 1 GB. */
    public static final int MAX_BATCH = 8;

    private final BasicConv2d conv1a = child("Conv2d_1a_3x3", new BasicConv2d(3, 32, 3, 3, 2, 0, 0));
    private final BasicConv2d conv2a = child("Conv2d_2a_3x3", new BasicConv2d(32, 32, 3, 3, 1, 0, 0));
    private final BasicConv2d conv2b = child("Conv2d_2b_3x3", new BasicConv2d(32, 64, 3, 3, 1, 1, 1));
    private final BasicConv2d conv3b = child("Conv2d_3b_1x1", new BasicConv2d(64, 80, 1, 1, 1, 0, 0));
    private final BasicConv2d conv4a = child("Conv2d_4a_3x3", new BasicConv2d(80, 192, 3, 3, 1, 0, 0));
    private final BlockA mixed5b = child("Mixed_5b", new BlockA(192, 32));
    private final BlockA mixed5c = child("Mixed_5c", new BlockA(256, 64));
    private final BlockA mixed5d = child("Mixed_5d", new BlockA(288, 64));
    private final BlockB mixed6a = child("Mixed_6a", new BlockB(288));
    private final BlockC mixed6b = child("Mixed_6b", new BlockC(768, 128));
    private final BlockC mixed6c = child("Mixed_6c", new BlockC(768, 160));
    private final BlockC mixed6d = child("Mixed_6d", new BlockC(768, 160));
    private final BlockC mixed6e = child("Mixed_6e", new BlockC(768, 192));
    private final BlockD mixed7a = child("Mixed_7a", new BlockD(768));
    private final BlockE mixed7b = child("Mixed_7b", new BlockE(1280, false));
    private final BlockE mixed7c = child("Mixed_7c", new BlockE(2048, true));
    private final Head fc = child("fc", new Head(FEATURES, CLASSES));

    private final DataType precision;

    private InceptionV3(DataType precision) {
        this.precision = precision;
    }

    /**
     * Loads the FID Inception weights: {@code pt_inception-2015-12-05-6726825d.pth} (a PyTorch checkpoint) or a
     * safetensors copy with the same names. {@code num_batches_tracked} counters, which some copies carry, are ignored.
     *
     * @param float64 compute in float64 like the evaluator; false computes in float32, several times faster on a CPU,
     *                with block outputs about 3e-7 relative off the float64 ones (the fixture's float32 study)
     * @throws TitokException naming the file when it cannot be read or does not hold exactly this network
     */
    public static InceptionV3 load(Path weightsFile, boolean float64) {
        Map<String, HostTensor> weights = WeightsFile.load(weightsFile);
        InceptionV3 model = new InceptionV3(float64 ? DataType.FLOAT64 : DataType.FLOAT32);
        Set<String> counters = weights.keySet().stream()
                .filter(k -> k.endsWith(".num_batches_tracked")).collect(Collectors.toSet());
        model.loadWeights(weights, weightsFile + " (FID Inception weights)", counters);
        convert(model, model.precision);
        return model;
    }

    /** Random weights, for tests and benchmarks of the plumbing; the features mean nothing. */
    public static InceptionV3 random(long seed, boolean float64) {
        InceptionV3 model = new InceptionV3(float64 ? DataType.FLOAT64 : DataType.FLOAT32);
        model.initializeRandomly(seed);
        convert(model, model.precision);
        return model;
    }

    /** Converts every parameter in place (they load as float32). */
    static void convert(Module module, DataType type) {
        for (Parameter p : module.namedParameters().values()) {
            if (p.value().getDataType() != type) {
                p.set(p.value().toType(type, false));
            }
        }
    }

    @Override
    public String description() {
        return "Inception: pool_3 features (2048) of the 2015 TF InceptionV3 (pt_inception-2015-12-05), "
                + (precision == DataType.FLOAT64 ? "float64 as the official evaluator" : "float32 (the evaluator uses float64)")
                + ", TF1 bilinear resize to 299";
    }

    @Override
    public boolean isInception() {
        return true;
    }

    @Override
    public int dimensions() {
        return FEATURES;
    }

    @Override
    public int classes() {
        return CLASSES;
    }

    /**
     * The pooled features and bias-free logits of 8-bit RGB images of any size: resized to 299×299 inside, as the
     * evaluator's forward does. Runs in chunks of {@value #MAX_BATCH} with gradients off.
     */
    @Override
    public Features features(byte[] images, int height, int width) {
        int per = 3 * height * width;
        if (images.length % per != 0) {
            throw new TitokException(images.length + " bytes are not a whole number of 3×" + height + "×" + width + " images");
        }
        int count = images.length / per;
        double[] pool = new double[count * FEATURES];
        double[] logits = new double[count * CLASSES];
        boolean gradMode = JniUtils.isGradMode();
        try {
            JniUtils.setGradMode(false);
            for (int start = 0; start < count; start += MAX_BATCH) {
                int b = Math.min(MAX_BATCH, count - start);
                try (NDScope scope = new NDScope()) {
                    double[] resized = Tf1Bilinear.resize(images, start * per, b * 3, height, width, INPUT_SIZE, INPUT_SIZE);
                    NDArray x = Tensors.of(manager(), resized, new Shape(b, 3, INPUT_SIZE, INPUT_SIZE)).sub(128).div(128);
                    NDArray features = forward(x.toType(precision, false));                // (b, 2048)
                    NDArray unbiased = fc.logitsUnbiased(features);                        // (b, 1008)
                    System.arraycopy(doubles(features), 0, pool, start * FEATURES, b * FEATURES);
                    System.arraycopy(doubles(unbiased), 0, logits, start * CLASSES, b * CLASSES);
                }
            }
        } finally {
            JniUtils.setGradMode(gradMode);
        }
        return new Features(count, pool, logits);
    }

    private static double[] doubles(NDArray x) {
        return x.getDataType() == DataType.FLOAT64 ? x.toDoubleArray() : x.toType(DataType.FLOAT64, false).toDoubleArray();
    }

    /** (B, 3, 299, 299) float64 in [−1, 1] → (B, 2048) pooled features. */
    NDArray forward(NDArray x) {
        // Each stage in its own scope: only its output outlives it, which bounds the float64 activations in memory.
        NDArray in = x;
        NDArray stem = Ops.scoped(() -> maxPool(conv2b.forward(conv2a.forward(conv1a.forward(in))), 2, 0)); // (B, 64, 73, 73)
        NDArray s35 = Ops.scoped(() -> maxPool(conv4a.forward(conv3b.forward(stem)), 2, 0));              // (B, 192, 35, 35)
        NDArray a = Ops.scoped(() -> mixed5d.forward(mixed5c.forward(mixed5b.forward(s35))));            // (B, 288, 35, 35)
        NDArray s17 = Ops.scoped(() -> mixed6a.forward(a));                                              // (B, 768, 17, 17)
        NDArray c = Ops.scoped(() -> mixed6e.forward(mixed6d.forward(mixed6c.forward(mixed6b.forward(s17))))); // (B, 768, 17, 17)
        NDArray d = Ops.scoped(() -> mixed7a.forward(c));                                                // (B, 1280, 8, 8)
        return Ops.scoped(() -> globalAveragePool(mixed7c.forward(mixed7b.forward(d))));                 // (B, 2048)
    }

    /** (B, C, H, W) → (B, C): the mean over all positions (DJL's PyTorch engine averages over one axis at a time). */
    static NDArray globalAveragePool(NDArray x) {
        Shape s = x.getShape();
        return x.reshape(s.get(0), s.get(1), s.get(2) * s.get(3)).mean(new int[] {2});
    }

    // ---- building blocks (torch-fidelity's names and branch order) ----------------------------------------------

    /** Convolution without bias, BatchNorm (eps 1e-3), ReLU. */
    static final class BasicConv2d extends Module {
        private final Conv conv;
        private final BatchNorm2d bn;

        BasicConv2d(int in, int out, int kernelH, int kernelW, int stride, int padH, int padW) {
            conv = child("conv", new Conv(in, out, kernelH, kernelW, stride, padH, padW));
            bn = child("bn", new BatchNorm2d(out, BN_EPS));
        }

        BasicConv2d(int in, int out, int kernel) {
            this(in, out, kernel, kernel, 1, (kernel - 1) / 2, (kernel - 1) / 2);
        }

        NDArray forward(NDArray x) {
            return ai.djl.nn.Activation.relu(bn.forward(conv.forward(x)));
        }
    }

    /** A bias-free convolution with a rectangular kernel (1×7, 7×1, 1×3, 3×1 occur) and per-axis padding. */
    private static final class Conv extends Module {
        private final Parameter weight;
        private final Shape stride;
        private final Shape padding;

        Conv(int in, int out, int kernelH, int kernelW, int stride, int padH, int padW) {
            // He initialisation keeps random activations at a realistic scale through 94 ReLU layers; a small fixed
            // std would shrink them into float32 denormals, which are slow, and benchmarks would measure that
            this.weight = parameter("weight", new Init.ScaledNormal(Math.sqrt(2.0 / (in * kernelH * kernelW))),
                    out, in, kernelH, kernelW);
            this.stride = new Shape(stride, stride);
            this.padding = new Shape(padH, padW);
        }

        NDArray forward(NDArray x) {
            return ai.djl.nn.convolutional.Conv2d.conv2d(x, weight.value(), null, stride, padding, new Shape(1, 1), 1)
                    .singletonOrThrow();
        }
    }

    /** 35×35 block: 1×1 | 1×1→5×5 | 1×1→3×3→3×3 | average pool→1×1. */
    static final class BlockA extends Module {
        private final BasicConv2d branch1x1;
        private final BasicConv2d branch5x5a;
        private final BasicConv2d branch5x5b;
        private final BasicConv2d branch3x3dblA;
        private final BasicConv2d branch3x3dblB;
        private final BasicConv2d branch3x3dblC;
        private final BasicConv2d branchPool;

        BlockA(int in, int poolFeatures) {
            branch1x1 = child("branch1x1", new BasicConv2d(in, 64, 1));
            branch5x5a = child("branch5x5_1", new BasicConv2d(in, 48, 1));
            branch5x5b = child("branch5x5_2", new BasicConv2d(48, 64, 5));
            branch3x3dblA = child("branch3x3dbl_1", new BasicConv2d(in, 64, 1));
            branch3x3dblB = child("branch3x3dbl_2", new BasicConv2d(64, 96, 3));
            branch3x3dblC = child("branch3x3dbl_3", new BasicConv2d(96, 96, 3));
            branchPool = child("branch_pool", new BasicConv2d(in, poolFeatures, 1));
        }

        NDArray forward(NDArray x) {
            return concat(branch1x1.forward(x),
                    branch5x5b.forward(branch5x5a.forward(x)),
                    branch3x3dblC.forward(branch3x3dblB.forward(branch3x3dblA.forward(x))),
                    branchPool.forward(avgPoolExcludingPadding(x)));
        }
    }

    /** Grid reduction 35→17: 3×3/2 | 1×1→3×3→3×3/2 | max pool 3×3/2. */
    static final class BlockB extends Module {
        private final BasicConv2d branch3x3;
        private final BasicConv2d branch3x3dblA;
        private final BasicConv2d branch3x3dblB;
        private final BasicConv2d branch3x3dblC;

        BlockB(int in) {
            branch3x3 = child("branch3x3", new BasicConv2d(in, 384, 3, 3, 2, 0, 0));
            branch3x3dblA = child("branch3x3dbl_1", new BasicConv2d(in, 64, 1));
            branch3x3dblB = child("branch3x3dbl_2", new BasicConv2d(64, 96, 3));
            branch3x3dblC = child("branch3x3dbl_3", new BasicConv2d(96, 96, 3, 3, 2, 0, 0));
        }

        NDArray forward(NDArray x) {
            return concat(branch3x3.forward(x),
                    branch3x3dblC.forward(branch3x3dblB.forward(branch3x3dblA.forward(x))),
                    maxPool(x, 2, 0));
        }
    }

    /** 17×17 block with factorised 7×7 convolutions: 1×1 | 1×7→7×1 | 7×1→1×7→7×1→1×7 | average pool→1×1. */
    static final class BlockC extends Module {
        private final BasicConv2d branch1x1;
        private final BasicConv2d[] branch7x7;
        private final BasicConv2d[] branch7x7dbl;
        private final BasicConv2d branchPool;

        BlockC(int in, int c7) {
            branch1x1 = child("branch1x1", new BasicConv2d(in, 192, 1));
            branch7x7 = new BasicConv2d[] {
                    child("branch7x7_1", new BasicConv2d(in, c7, 1)),
                    child("branch7x7_2", oneBySeven(c7, c7)),
                    child("branch7x7_3", sevenByOne(c7, 192))};
            branch7x7dbl = new BasicConv2d[] {
                    child("branch7x7dbl_1", new BasicConv2d(in, c7, 1)),
                    child("branch7x7dbl_2", sevenByOne(c7, c7)),
                    child("branch7x7dbl_3", oneBySeven(c7, c7)),
                    child("branch7x7dbl_4", sevenByOne(c7, c7)),
                    child("branch7x7dbl_5", oneBySeven(c7, 192))};
            branchPool = child("branch_pool", new BasicConv2d(in, 192, 1));
        }

        NDArray forward(NDArray x) {
            return concat(branch1x1.forward(x), chain(branch7x7, x), chain(branch7x7dbl, x),
                    branchPool.forward(avgPoolExcludingPadding(x)));
        }
    }

    /** Grid reduction 17→8: 1×1→3×3/2 | 1×1→1×7→7×1→3×3/2 | max pool 3×3/2. */
    static final class BlockD extends Module {
        private final BasicConv2d[] branch3x3;
        private final BasicConv2d[] branch7x7x3;

        BlockD(int in) {
            branch3x3 = new BasicConv2d[] {
                    child("branch3x3_1", new BasicConv2d(in, 192, 1)),
                    child("branch3x3_2", new BasicConv2d(192, 320, 3, 3, 2, 0, 0))};
            branch7x7x3 = new BasicConv2d[] {
                    child("branch7x7x3_1", new BasicConv2d(in, 192, 1)),
                    child("branch7x7x3_2", oneBySeven(192, 192)),
                    child("branch7x7x3_3", sevenByOne(192, 192)),
                    child("branch7x7x3_4", new BasicConv2d(192, 192, 3, 3, 2, 0, 0))};
        }

        NDArray forward(NDArray x) {
            return concat(chain(branch3x3, x), chain(branch7x7x3, x), maxPool(x, 2, 0));
        }
    }

    /**
     * 8×8 block with split 1×3 / 3×1 outputs: 1×1 | 1×1→(1×3, 3×1) | 1×1→3×3→(1×3, 3×1) | pool→1×1. Mixed_7b (E_1)
     * average-pools excluding padding; Mixed_7c (E_2) max-pools, a quirk of the 2015 graph that FID depends on.
     */
    static final class BlockE extends Module {
        private final BasicConv2d branch1x1;
        private final BasicConv2d branch3x3;
        private final BasicConv2d branch3x3a;
        private final BasicConv2d branch3x3b;
        private final BasicConv2d branch3x3dblA;
        private final BasicConv2d branch3x3dblB;
        private final BasicConv2d branch3x3dblC;
        private final BasicConv2d branch3x3dblD;
        private final BasicConv2d branchPool;
        private final boolean maxPoolBranch;

        BlockE(int in, boolean maxPoolBranch) {
            branch1x1 = child("branch1x1", new BasicConv2d(in, 320, 1));
            branch3x3 = child("branch3x3_1", new BasicConv2d(in, 384, 1));
            branch3x3a = child("branch3x3_2a", new BasicConv2d(384, 384, 1, 3, 1, 0, 1));
            branch3x3b = child("branch3x3_2b", new BasicConv2d(384, 384, 3, 1, 1, 1, 0));
            branch3x3dblA = child("branch3x3dbl_1", new BasicConv2d(in, 448, 1));
            branch3x3dblB = child("branch3x3dbl_2", new BasicConv2d(448, 384, 3));
            branch3x3dblC = child("branch3x3dbl_3a", new BasicConv2d(384, 384, 1, 3, 1, 0, 1));
            branch3x3dblD = child("branch3x3dbl_3b", new BasicConv2d(384, 384, 3, 1, 1, 1, 0));
            branchPool = child("branch_pool", new BasicConv2d(in, 192, 1));
            this.maxPoolBranch = maxPoolBranch;
        }

        NDArray forward(NDArray x) {
            NDArray b3 = branch3x3.forward(x);
            NDArray d3 = branch3x3dblB.forward(branch3x3dblA.forward(x));
            NDArray pooled = maxPoolBranch ? maxPool(x, 1, 1) : avgPoolExcludingPadding(x);
            return concat(branch1x1.forward(x),
                    concat(branch3x3a.forward(b3), branch3x3b.forward(b3)),
                    concat(branch3x3dblC.forward(d3), branch3x3dblD.forward(d3)),
                    branchPool.forward(pooled));
        }
    }

    /** The 1008-way classifier; only its weight enters the Inception Score (the bias is not added). */
    static final class Head extends Module {
        private final Parameter weight;

        Head(int in, int classes) {
            weight = parameter("weight", Init.LINEAR, classes, in);
            parameter("bias", Init.ZEROS, classes);
        }

        /** (B, 2048) → (B, 1008): {@code pool · weightᵀ}. */
        NDArray logitsUnbiased(NDArray pool) {
            return pool.matMul(weight.value().transpose());
        }
    }

    private static BasicConv2d oneBySeven(int in, int out) {
        return new BasicConv2d(in, out, 1, 7, 1, 0, 3);
    }

    private static BasicConv2d sevenByOne(int in, int out) {
        return new BasicConv2d(in, out, 7, 1, 1, 3, 0);
    }

    private static NDArray chain(BasicConv2d[] convs, NDArray x) {
        for (BasicConv2d conv : convs) {
            x = conv.forward(x);
        }
        return x;
    }

    private static NDArray concat(NDArray... branches) {
        return NDArrays.concat(new NDList(branches), 1);
    }

    /**
     * 3×3 stride-1 average pool that divides by the in-image pixels only (4 at corners, 6 at edges): TF's rule.
     * DJL 0.36's PyTorch binding drops {@code count_include_pad=false} (the native call never passes it on), so the
     * padded average, a sum over 9, is divided by the same pool of ones, the share of each window inside the image.
     */
    static NDArray avgPoolExcludingPadding(NDArray x) {
        Shape s = x.getShape();
        NDArray inside = x.getManager().ones(new Shape(1, 1, s.get(2), s.get(3)), x.getDataType());
        return avgPool3x3(x).div(avgPool3x3(inside));
    }

    private static NDArray avgPool3x3(NDArray x) {
        return Pool.avgPool2d(x, new Shape(3, 3), new Shape(1, 1), new Shape(1, 1), false, true);
    }

    /** 3×3 max pool; padding, where there is some, never wins. */
    static NDArray maxPool(NDArray x, int stride, int padding) {
        return Pool.maxPool2d(x, new Shape(3, 3), new Shape(stride, stride), new Shape(padding, padding), false);
    }
}
