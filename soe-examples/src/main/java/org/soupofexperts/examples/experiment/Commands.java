package org.soupofexperts.examples.experiment;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import picocli.CommandLine;

/** How the example programs run their picocli command: a failure is logged in full and summed up in one line. */
public final class Commands {

    private static final Logger LOG = LoggerFactory.getLogger(Commands.class);

    private Commands() {}

    /** Runs {@code command} on {@code args} and exits with its code (2 on a failure). */
    public static void exit(Object command, String[] args) {
        System.exit(new CommandLine(command)
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    LOG.error("failed", e);
                    cmd.getErr().println("error: " + e.getMessage());
                    return 2;
                })
                .execute(args));
    }
}
