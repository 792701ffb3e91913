package dev.titok.generator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.titok.TitokException;
import org.junit.jupiter.api.Test;

/** Class names resolve to the ImageNet-1k ids the released generators were trained with. */
class ImageNetClassesTest {

    @Test
    void namesAndIds() {
        assertThat(ImageNetClasses.count()).isEqualTo(1000);
        assertThat(ImageNetClasses.resolve("golden retriever")).isEqualTo(207);
        assertThat(ImageNetClasses.resolve("Golden Retriever")).isEqualTo(207);
        assertThat(ImageNetClasses.resolve("Tinca tinca")).isZero();
        assertThat(ImageNetClasses.resolve("207")).isEqualTo(207);
        assertThat(ImageNetClasses.shortName(1)).isEqualTo("goldfish");
        assertThat(ImageNetClasses.shortName(999)).isEqualTo("toilet tissue");
    }

    @Test
    void unknownAmbiguousAndOutOfRange() {
        assertThatThrownBy(() -> ImageNetClasses.resolve("unicorn")).isInstanceOf(TitokException.class)
                .hasMessageContaining("unknown class name 'unicorn'");
        assertThatThrownBy(() -> ImageNetClasses.resolve("crane")).isInstanceOf(TitokException.class)
                .hasMessageContaining("134").hasMessageContaining("517");
        assertThatThrownBy(() -> ImageNetClasses.resolve("1000")).isInstanceOf(TitokException.class)
                .hasMessageContaining("0..999");
    }
}
