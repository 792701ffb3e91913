package dev.titok.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;

/** The TorchScript archive Java writes: its records, reproducible bytes, and a module libtorch loads and runs. */
class TorchScriptArchiveTest {

    private static final String BODY = """
              def twice_plus(self: __torch__.Doubler, x: Tensor, y: float) -> Tensor:
                return torch.add(torch.mul(x, 2.0), y)
            """;

    @Test
    void holdsTheRecordsTorchJitLoadReadsStoredUnderOneFolder() throws IOException {
        byte[] archive = TorchScriptArchive.write("Doubler", BODY);
        List<String> names = new ArrayList<>();
        try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(archive))) {
            for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
                names.add(e.getName());
                assertThat(e.getMethod()).as(e.getName()).isEqualTo(ZipEntry.STORED);
            }
        }
        assertThat(names).containsExactly("archive/data.pkl", "archive/code/__torch__.py", "archive/constants.pkl",
                "archive/version");
        assertThat(TorchScriptArchive.write("Doubler", BODY)).as("the same bytes every time").isEqualTo(archive);
    }

    @Test
    void libtorchLoadsAndRunsTheModule() {
        try (NDManager m = NDManager.newBaseManager()) {
            ScriptModule module = ScriptModule.load(m, "Doubler", BODY);
            NDArray out = module.call(m, "twice_plus", m.create(new float[] {1, -2, 3.5f}), 0.5);
            assertThat(out.toFloatArray()).containsExactly(2.5f, -3.5f, 7.5f);
            assertThat(module.calls()).isEqualTo(1);
        }
    }

    @Test
    void refusesANameThatIsNotAnIdentifier() {
        assertThatThrownBy(() -> TorchScriptArchive.write("Not a name", BODY))
                .hasMessageContaining("not a TorchScript class name");
    }
}
