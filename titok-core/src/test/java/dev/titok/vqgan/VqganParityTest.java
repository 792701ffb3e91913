package dev.titok.vqgan;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.titok.config.VqganConfig;
import dev.titok.io.HostTensor;
import dev.titok.io.SafeTensors;
import dev.titok.kernels.Kernels;
import dev.titok.nn.Parameter;
import dev.titok.testing.Fixtures;
import dev.titok.testing.KernelTolerance;
import dev.titok.testing.Tolerance;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every MaskGIT-VQGAN case of the fixtures (made by the official {@code PretrainedTokenizer}): encoder features and the
 * quantized rows within tolerance, codes exactly, decoded pixels (clamped and not) within the conv-stack tolerance.
 */
class VqganParityTest {

    private static boolean isVqgan(JsonNode config) {
        return config.path("model").path("vq_model").has("pixel_vqgan_config");
    }

    @TestFactory
    Stream<DynamicTest> everyVqganCase() {
        return Fixtures.cases(VqganParityTest::isVqgan).stream().flatMap(dir -> Stream.concat(Stream.of(Kernels.REFERENCE),
                KernelTolerance.FAST.stream().filter(KernelTolerance::available)).flatMap(kernels -> {
            VqganConfig config = VqganConfig.read(dir.resolve("config.json"));
            Tolerance pixelTolerance = KernelTolerance.of(kernels, Tolerance.CONV_STACK);
            Tolerance floatTolerance = KernelTolerance.of(kernels, Tolerance.FLOAT32);
            try (SafeTensors weights = SafeTensors.open(dir.resolve("model.safetensors"));
                 SafeTensors io = SafeTensors.open(dir.resolve("io.safetensors"));
                 Vqgan model = Vqgan.load(config, weights.tensors(), dir.toString());
                 NDScope scope = new NDScope()) {
                JniUtils.setGradMode(false);
                model.useKernels(kernels);
                Map<String, Function<NDArray, NDArray>> outputs = new LinkedHashMap<>();
                NDArray pixels = array(model, io.get("in.pixels"));
                outputs.put("out.hidden", x -> model.encodeHidden(pixels));
                outputs.put("out.codes", x -> model.encode(pixels));
                outputs.put("out.quantized", x -> model.quantized(model.encode(pixels)));
                outputs.put("out.decoded", x -> model.decode(ids(model, io.get("in.codes"))));
                outputs.put("dbg.decoded_unclamped", x -> model.decodeUnclamped(ids(model, io.get("in.codes"))));
                outputs.put("out.decoded_random", x -> model.decode(ids(model, io.get("in.codes_random"))));
                outputs.put("dbg.decoded_random_unclamped", x -> model.decodeUnclamped(ids(model, io.get("in.codes_random"))));
                boolean sameCodes = Arrays.equals(model.encode(pixels).toLongArray(), io.get("out.codes").toLongs());
                List<DynamicTest> tests = new ArrayList<>();
                for (String name : io.names()) {
                    if (name.startsWith("in.")) {
                        continue;
                    }
                    HostTensor expected = io.get(name);
                    NDArray actual = outputs.containsKey(name) ? outputs.get(name).apply(null) : null;
                    long[] shape = actual == null ? null : actual.getShape().getShape();
                    long[] longs = actual != null && actual.getDataType().isInteger() ? actual.toLongArray() : null;
                    float[] floats = actual != null && longs == null ? actual.toFloatArray() : null;
                    boolean pixelsOut = name.contains("decoded");
                    tests.add(DynamicTest.dynamicTest(dir.getFileName() + " " + name + " (" + kernels.label() + ")", () -> {
                        Assumptions.assumeTrue(sameCodes || !name.equals("out.quantized"), () -> name + " comes from this "
                                + "run's own " + kernels.label() + " codes, which differ from the official ones in a few "
                                + "places (allowed in bf16, checked by out.codes)");
                        assertThat(shape).as(name + " is recorded by the official code but not produced here").isNotNull();
                        assertThat(shape).as(name + " shape").isEqualTo(expected.shape());
                        if (longs != null) {
                            KernelTolerance.assertTokens(kernels, name, longs, expected.toLongs());
                        } else {
                            (pixelsOut ? pixelTolerance : floatTolerance).assertClose(name, floats, expected.toFloats());
                        }
                    }));
                }
                return tests.stream();
            }
        }));
    }

    @Test
    void officialConfigBuildsTheOfficialSchema() throws Exception {
        JsonNode schema = new ObjectMapper().readTree(Fixtures.root().resolve("schemas/maskgit_vqgan_f16_256.json").toFile());
        Map<String, Parameter> params = new Vqgan(VqganConfig.OFFICIAL).namedParameters();
        List<String> expected = new ArrayList<>();
        schema.get("state_dict").fieldNames().forEachRemaining(expected::add);
        assertThat(new ArrayList<>(params.keySet())).isEqualTo(expected);
        for (String key : expected) {
            long[] shape = new ObjectMapper().convertValue(schema.get("state_dict").get(key).get("shape"), long[].class);
            assertThat(params.get(key).shape().getShape()).as(key).isEqualTo(shape);
        }
        assertThat(new Vqgan(VqganConfig.OFFICIAL).parameterCount()).isEqualTo(schema.get("param_count").asLong());
    }

    private static NDArray array(Vqgan model, HostTensor t) {
        return model.manager().create(t.toFloats(), new Shape(t.shape()));
    }

    private static NDArray ids(Vqgan model, HostTensor t) {
        return model.manager().create(t.toLongs(), new Shape(t.shape()));
    }
}
