package dev.titok;

/**
 * A failure the user can act on: bad input, a missing or mismatched file, a wrong configuration.
 *
 * <p>The message is one line that names the thing, what was expected and what was found. The CLI prints it
 * as is, without a stack trace (unless {@code --verbose}), and exits non-zero.
 */
public class TitokException extends RuntimeException {

    public TitokException(String message) {
        super(message);
    }

    public TitokException(String message, Throwable cause) {
        super(message, cause);
    }
}
