package dev.titok.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Runs the CLI in-process and captures what it prints. */
record Cli(int exit, String out, String err) {

    static final Path FIXTURES = Path.of(System.getProperty("titok.fixtures", "../shared/fixtures"));
    static final Path IMAGES = Path.of(System.getProperty("titok.images", "../shared/images"));

    static synchronized Cli run(Object... args) {
        String[] strings = new String[args.length];
        for (int i = 0; i < args.length; i++) {
            strings[i] = args[i].toString();
        }
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int exit = Main.run(strings);
            return new Cli(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    /** The one error line the CLI printed. */
    String errorLine() {
        return err.lines().filter(l -> l.startsWith("titok: error: ")).findFirst().orElse("<no error line in: " + err + ">");
    }
}
