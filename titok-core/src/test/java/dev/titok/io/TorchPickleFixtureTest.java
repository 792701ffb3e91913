package dev.titok.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TorchPickleFixtureTest {

    @Test
    void modelBinEqualsModelSafetensors() {
        Path bin = Fixtures.require("titok_vq_stage1/model.bin");
        Path safetensors = Fixtures.require("titok_vq_stage1/model.safetensors");

        Map<String, HostTensor> fromBin = TorchPickle.read(bin);
        try (SafeTensors reference = SafeTensors.open(safetensors)) {
            assertThat(fromBin.keySet()).containsExactlyElementsOf(reference.names());
            for (String name : reference.names()) {
                HostTensor expected = reference.get(name);
                HostTensor actual = fromBin.get(name);
                assertThat(actual.dtype()).as(name).isEqualTo(expected.dtype());
                assertThat(actual.shape()).as(name).isEqualTo(expected.shape());
                assertThat(actual.data()).as(name).isEqualTo(expected.data());
            }
        }
    }

    @Test
    void weightsFileReadsBothFormatsOfTheFixtureAlike() {
        Path bin = Fixtures.require("titok_vq_stage1/model.bin");
        Path safetensors = Fixtures.require("titok_vq_stage1/model.safetensors");

        assertThat(WeightsFile.load(bin)).isEqualTo(WeightsFile.load(safetensors));
        assertThat(WeightsFile.load(bin.getParent())).isEqualTo(WeightsFile.load(safetensors));
    }
}
