package dev.titok.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.titok.io.HostTensor;
import dev.titok.io.SafeTensors;
import dev.titok.nn.Module;
import dev.titok.nn.StateDict;
import dev.titok.testing.Fixtures;
import dev.titok.tensor.Tensors;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The FID Inception's building blocks against the {@code inception_blocks} fixture: each block of the evaluator's
 * network (torch-fidelity's TF-compatible classes, seeded weights) run on the same float64 input, plus the TF1
 * bilinear resize, the three pools and the head. Everything is float64 on both sides, so the tolerance is only
 * summation order: 1e-10 of the largest magnitude.
 */
class InceptionParityTest {

    private static final double TOLERANCE = 1e-10;

    private static Map<String, HostTensor> weights;
    private static Map<String, HostTensor> io;
    private static NDManager manager;

    @BeforeAll
    static void read() {
        Path dir = Fixtures.root().resolve("inception_blocks");
        weights = copy(dir.resolve("model.safetensors"));
        io = copy(dir.resolve("io.safetensors"));
        manager = NDManager.newBaseManager();
        JniUtils.setGradMode(false);
    }

    @AfterAll
    static void close() {
        if (manager != null) {
            manager.close();
        }
    }

    @Test
    void basicConvolutions() {
        check("BasicConv2d_3x3_s2", () -> new InceptionV3.BasicConv2d(3, 8, 3, 3, 2, 0, 0), InceptionV3.BasicConv2d::forward);
        check("BasicConv2d_1x7_p03", () -> new InceptionV3.BasicConv2d(8, 6, 1, 7, 1, 0, 3), InceptionV3.BasicConv2d::forward);
        check("BasicConv2d_3x3_p1", () -> new InceptionV3.BasicConv2d(6, 8, 3), InceptionV3.BasicConv2d::forward);
    }

    @Test
    void blockA() {
        check("InceptionA", () -> new InceptionV3.BlockA(8, 8), InceptionV3.BlockA::forward);
    }

    @Test
    void blockB() {
        check("InceptionB", () -> new InceptionV3.BlockB(8), InceptionV3.BlockB::forward);
    }

    @Test
    void blockC() {
        check("InceptionC", () -> new InceptionV3.BlockC(8, 8), InceptionV3.BlockC::forward);
    }

    @Test
    void blockD() {
        check("InceptionD", () -> new InceptionV3.BlockD(8), InceptionV3.BlockD::forward);
    }

    @Test
    void blockEWithAveragePool() {
        check("InceptionE_1", () -> new InceptionV3.BlockE(8, false), InceptionV3.BlockE::forward);
    }

    @Test
    void blockEWithMaxPool() {
        check("InceptionE_2", () -> new InceptionV3.BlockE(8, true), InceptionV3.BlockE::forward);
    }

    @Test
    void float32BlocksStayWithinTheFixturesFloat32Study() {
        // The fixture ran each block in float32 too: InceptionE_2 differed from float64 by 3.4e-7 of its largest value.
        InceptionV3.BlockE block = load("InceptionE_2", () -> new InceptionV3.BlockE(8, true));
        InceptionV3.convert(block, ai.djl.ndarray.types.DataType.FLOAT32);
        NDArray out = block.forward(array("InceptionE_2.in").toType(ai.djl.ndarray.types.DataType.FLOAT32, false));
        assertClose("InceptionE_2.out", out.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).toDoubleArray(),
                doubles(io.get("InceptionE_2.out")), 2e-6);
    }

    @Test
    void pools() {
        NDArray in = array("pool.in");
        assertClose("pool.avg3x3_s1_p1_excl_pad", InceptionV3.avgPoolExcludingPadding(in));
        assertClose("pool.max3x3_s1_p1", InceptionV3.maxPool(in, 1, 1));
        assertClose("pool.max3x3_s2", InceptionV3.maxPool(in, 2, 0));
    }

    @Test
    void tf1BilinearResize() {
        for (String name : new String[] {"resize0", "resize1", "resize2"}) {
            HostTensor in = io.get(name + ".in");
            long[] s = in.shape();
            long[] outShape = io.get(name + ".out").shape();
            byte[] bytes = new byte[(int) in.numel()];
            in.data().duplicate().get(bytes);
            double[] actual = Tf1Bilinear.resize(bytes, 0, (int) (s[0] * s[1]), (int) s[2], (int) s[3],
                    (int) outShape[2], (int) outShape[3]);
            assertClose(name + ".out", actual, doubles(io.get(name + ".out")));
        }
    }

    @Test
    void headPoolsAndDropsTheBias() {
        NDArray in = array("head.in");
        NDArray pool = InceptionV3.globalAveragePool(in);
        assertClose("head.pool", pool);
        InceptionV3.Head head = load("head.fc", () -> new InceptionV3.Head(32, 10));
        assertClose("head.logits_unbiased", head.logitsUnbiased(pool));
    }

    @Test
    void theWholeNetworkRunsOnAnyImageSize() {
        try (InceptionV3 inception = InceptionV3.random(3, true)) {
            byte[] images = new byte[2 * 3 * 40 * 56];
            for (int i = 0; i < images.length; i++) {
                images[i] = (byte) (i * 37);
            }
            FeatureSpace.Features f = inception.features(images, 40, 56);
            assertThat(f.count()).isEqualTo(2);
            assertThat(f.pool()).hasSize(2 * InceptionV3.FEATURES);
            assertThat(f.logits()).hasSize(2 * InceptionV3.CLASSES);
            assertThat(java.util.Arrays.stream(f.logits()).allMatch(Double::isFinite)).isTrue();
            // the pooled features follow ReLUs, so none is negative
            assertThat(java.util.Arrays.stream(f.pool()).allMatch(v -> v >= 0 && Double.isFinite(v))).isTrue();
        }
    }

    @Test
    void theParameterNamesAreTheCheckpoints() {
        try (InceptionV3 inception = InceptionV3.random(3, true)) {
            Map<String, ?> names = inception.namedParameters();
            assertThat(names).containsKeys("Conv2d_1a_3x3.conv.weight", "Conv2d_1a_3x3.bn.running_var",
                    "Mixed_6e.branch7x7dbl_5.conv.weight", "Mixed_7a.branch7x7x3_4.bn.bias",
                    "Mixed_7c.branch3x3dbl_3b.conv.weight", "fc.weight", "fc.bias");
            // 94 BasicConv2d (one weight and four BatchNorm entries each) and the fc weight and bias
            assertThat(names).hasSize(94 * 5 + 2);
            // pytorch-fid's FID Inception has 23,850,960 parameters (torchvision's 23,834,568 without the auxiliary head, plus 8 more classes) besides the BatchNorm running statistics
            assertThat(inception.parameterCount()).isEqualTo(23_850_960L);
        }
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    private static <M extends Module> void check(String block, Supplier<M> make, java.util.function.BiFunction<M, NDArray, NDArray> forward) {
        M module = load(block, make);
        assertClose(block + ".out", forward.apply(module, array(block + ".in")));
    }

    private static <M extends Module> M load(String prefix, Supplier<M> make) {
        M module = make.get();
        Map<String, HostTensor> own = new LinkedHashMap<>();
        weights.forEach((k, v) -> {
            if (k.startsWith(prefix + ".")) {
                own.put(k.substring(prefix.length() + 1), v);
            }
        });
        StateDict.load(module, own, manager, "inception_blocks/" + prefix, Set.of());
        InceptionV3.convert(module, ai.djl.ndarray.types.DataType.FLOAT64);
        return module;
    }

    private static NDArray array(String name) {
        HostTensor t = io.get(name);
        return Tensors.of(manager, doubles(t), new Shape(t.shape()));
    }

    private static void assertClose(String name, NDArray actual) {
        assertThat(actual.getShape()).as(name + " shape").isEqualTo(new Shape(io.get(name).shape()));
        assertClose(name, actual.toDoubleArray(), doubles(io.get(name)));
    }

    private static void assertClose(String name, double[] actual, double[] expected) {
        assertClose(name, actual, expected, TOLERANCE);
    }

    private static void assertClose(String name, double[] actual, double[] expected, double tolerance) {
        assertThat(actual).as(name + " size").hasSameSizeAs(expected);
        double max = 0;
        for (double e : expected) {
            max = Math.max(max, Math.abs(e));
        }
        double allowed = tolerance * Math.max(1, max);
        for (int i = 0; i < actual.length; i++) {
            if (!(Math.abs(actual[i] - expected[i]) <= allowed)) {
                fail(String.format("%s: element %d is %.17g, expected %.17g (allowed %.3g)", name, i, actual[i], expected[i], allowed));
            }
        }
    }

    private static double[] doubles(HostTensor t) {
        double[] out = new double[(int) t.numel()];
        t.data().duplicate().order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().get(out);
        return out;
    }

    private static Map<String, HostTensor> copy(Path file) {
        try (SafeTensors st = SafeTensors.open(file)) {
            Map<String, HostTensor> out = new LinkedHashMap<>();
            st.tensors().forEach((k, v) -> {
                ByteBuffer heap = ByteBuffer.allocate(v.data().remaining()).order(ByteOrder.LITTLE_ENDIAN);
                heap.put(v.data().duplicate()).flip();
                out.put(k, new HostTensor(v.dtype(), v.shape(), heap));
            });
            return out;
        }
    }
}
