package dev.titok.cli;

import dev.titok.TitokException;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine;

/** The {@code titok} command: one subcommand per job. */
@Command(name = "titok", mixinStandardHelpOptions = true, scope = ScopeType.INHERIT, version = "titok 0.1.0",
        description = "TiTok 1D image tokenizer on the JVM: images to a few discrete tokens and back.",
        subcommands = {TokenizeCommand.class, DetokenizeCommand.class, ReconstructCommand.class, GenerateCommand.class, SampleCommand.class,
                InspectCommand.class, ServeCommand.class, VqganCommand.class, BenchCommand.class, TrainCommand.class, PretokenizeCommand.class, DemoCommand.class, EvalCommand.class, ClassifierCommand.class,
                CommandLine.HelpCommand.class})
public final class Main {

    @Option(names = "--verbose", scope = ScopeType.INHERIT, description = "Print stack traces of errors.")
    static boolean verbose;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (0 ok, 1 failed, 2 bad usage). */
    public static int run(String... args) {
        configureRuntime();
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler(Main::handle);
        return cli.execute(args);
    }

    private static int handle(Exception e, CommandLine cli, CommandLine.ParseResult parsed) {
        PrintWriter err = cli.getErr();
        if (verbose) {
            e.printStackTrace(err);
        }
        Throwable cause = e;
        while (!(cause instanceof TitokException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof TitokException) {
            err.println("titok: error: " + cause.getMessage());
        } else {
            err.println("titok: error: " + e + (verbose ? "" : " (run with --verbose for details)"));
        }
        err.flush();
        return 1;
    }

    /** DJL must never download anything, and its start-up chatter stays out of the user's output. */
    private static void configureRuntime() {
        System.setProperty("ai.djl.offline", System.getProperty("ai.djl.offline", "true"));
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel",
                System.getProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn"));
        System.setProperty("org.slf4j.simpleLogger.log.ai.djl", System.getProperty("org.slf4j.simpleLogger.log.ai.djl", "error"));
        System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
    }
}
