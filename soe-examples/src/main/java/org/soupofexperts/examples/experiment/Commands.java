package org.soupofexperts.examples.experiment;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/** How the example programs run their picocli command: a failure is logged in full and summed up in one line. */
public final class Commands {

    private static final Logger LOG = LoggerFactory.getLogger(Commands.class);

    private Commands() {}

    /**
     * These programs choose DJL's offline mode (LibTorch comes from the Maven dependencies, never
     * from a download) unless the user said otherwise; the library itself sets no property.
     */
    public static void offline() {
        if (System.getProperty("ai.djl.offline") == null && System.getenv("DJL_OFFLINE") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
    }

    /** Runs a picocli command with {@code args} and exits the JVM with its code. */
    public static void exit(Object command, String[] args) {
        System.exit(run(command, args));
    }

    /** Runs a picocli command with {@code args}; returns its exit code (2 on a failure, logged in full). */
    public static int run(Object command, String[] args) {
        offline();
        return new CommandLine(command)
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    LOG.error("failed", e);
                    cmd.getErr().println("error: " + e.getMessage());
                    return 2;
                })
                .execute(args);
    }
}
