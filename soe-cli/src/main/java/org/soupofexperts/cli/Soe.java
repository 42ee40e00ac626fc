package org.soupofexperts.cli;

import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.Arrays;
import java.util.concurrent.Callable;
import org.soupofexperts.core.io.ArtifactConflictException;
import org.soupofexperts.core.io.SoupFormatException;
import org.soupofexperts.core.io.Version;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;

/**
 * The {@code soe} command-line tool: train a soup on a Pile-style JSONL corpus, turn specialist
 * documents into domain weights h, instantiate a specialist, evaluate a model on text, generate
 * text. Exit codes: 0 done, 1 bad input (the message says what to fix), 2 failure.
 */
@Command(
        name = "soe",
        mixinStandardHelpOptions = true,
        versionProvider = Soe.VersionProvider.class,
        description =
                "Soup-of-Experts: train one soup, then make a specialist language model for any domain mix in milliseconds."
                        + " Errors are one line; add --verbose anywhere for the stack trace.",
        subcommands = {
            Train.class,
            Baseline.class,
            Histogram.class,
            Instantiate.class,
            Eval.class,
            Generate.class,
            Finetune.class,
            Compare.class,
            Export.class,
            Serve.class,
            Info.class
        })
public final class Soe implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    /** Runs the {@code soe} tool and exits with its code. */
    public static void main(String[] args) {
        // The tool, as an application, keeps DJL offline: LibTorch comes from its own jar.
        if (System.getProperty("ai.djl.offline") == null && System.getenv("DJL_OFFLINE") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the tool with the given streams; returns the exit code. */
    static int run(String[] args, PrintWriter out, PrintWriter err) {
        boolean verbose = Arrays.asList(args).contains("--verbose");
        String[] rest = Arrays.stream(args).filter(a -> !a.equals("--verbose")).toArray(String[]::new);
        CommandLine cl = new CommandLine(new Soe())
                .setOut(out)
                .setErr(err)
                .setExecutionExceptionHandler((e, cmd, parsed) -> fail(e, cmd.getCommandName(), cmd.getErr(), verbose));
        try {
            return cl.execute(rest);
        } catch (Error e) {
            // OutOfMemoryError, StackOverflowError: still one line, and the exit code of a failure.
            return fail(e, "soe", err, verbose);
        }
    }

    /**
     * One line naming the problem (the exception's type when it has no message); the stack
     * trace only with --verbose. Exit 1 for bad input, 2 for failures.
     */
    private static int fail(Throwable e, String command, PrintWriter err, boolean verbose) {
        // A refusal wrapped to cross an interface without checked exceptions is still a refusal.
        Throwable cause = e instanceof UncheckedIOException && e.getCause() != null ? e.getCause() : e;
        boolean userError = cause instanceof IllegalArgumentException
                || cause instanceof NotDirectoryException
                || cause instanceof SoupFormatException
                || cause instanceof ArtifactConflictException
                || cause instanceof NoSuchFileException
                || cause instanceof AccessDeniedException;
        String message = cause instanceof NoSuchFileException
                ? "no such file: " + cause.getMessage()
                : cause instanceof FileSystemException f
                        ? fileProblem(f)
                        : e != cause
                                        && cause.getMessage() != null
                                        && String.valueOf(e.getMessage()).equals(cause.toString())
                                // Wrapped with no words of its own: the cause's, not "its.Class: words".
                                ? cause.getMessage()
                                : e.getMessage() == null || e.getMessage().isBlank()
                                        ? e.getClass().getSimpleName()
                                        : e.getMessage();
        if (e instanceof OutOfMemoryError) {
            message = "out of memory (" + message + "); give the JVM more heap with -Xmx or use a smaller model";
        } else if (e instanceof StackOverflowError) {
            message = "stack overflow; the input is nested too deeply";
        }
        err.println((command.equals("soe") ? "soe" : "soe " + command) + ": " + message.replace('\n', ' ')
                + (verbose ? "" : " (--verbose for details)"));
        if (verbose) {
            e.printStackTrace(err);
        }
        err.flush();
        return userError ? 1 : 2;
    }

    /**
     * A file system refusal with what went wrong, not only the path (which is all the message of
     * an {@link AccessDeniedException} holds).
     */
    private static String fileProblem(FileSystemException f) {
        String what = f instanceof AccessDeniedException
                ? "permission denied"
                : f instanceof FileAlreadyExistsException
                        ? "already exists"
                        : f instanceof DirectoryNotEmptyException
                                ? "folder not empty"
                                : f instanceof NotDirectoryException
                                        ? "not a folder"
                                        : f.getReason() != null
                                                ? f.getReason()
                                                : f.getClass().getSimpleName();
        return what + ": " + f.getFile() + (f.getOtherFile() != null ? " -> " + f.getOtherFile() : "")
                + (f.getReason() != null && !f.getReason().equals(what) ? " (" + f.getReason() + ")" : "");
    }

    /** No command: the usage, on stderr, and exit code 2 (a script that forgot the command fails). */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return 2;
    }

    /** The library version, for --version. */
    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"soe " + Version.get()};
        }
    }
}
