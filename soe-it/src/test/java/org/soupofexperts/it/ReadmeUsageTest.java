package org.soupofexperts.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The README's Usage block is the consumer project's Usage.java, character for character: the
 * code a user pastes is the code CI compiles and runs against the installed artifacts
 * (src/it/consumer, run by the invoker in this module's integration-test phase).
 */
class ReadmeUsageTest {

    static final String START = "<!-- usage:start (soe-it/src/it/consumer/src/main/java/com/example/Usage.java) -->";
    static final String END = "<!-- usage:end -->";

    @Test
    void theReadmeUsageBlockIsTheConsumerProjectsCodeVerbatim() throws IOException {
        String readme = Files.readString(Path.of("..", "README.md"));
        int start = readme.indexOf(START);
        int end = readme.indexOf(END);
        assertTrue(start >= 0 && end > start, "README.md must hold the Usage block between " + START + " and " + END);
        String block = readme.substring(start + START.length(), end).strip();
        assertTrue(
                block.startsWith("```java\n") && block.endsWith("\n```"),
                "the Usage block must be one java code block");
        String code = block.substring("```java\n".length(), block.length() - "```".length());
        String usage = Files.readString(
                Path.of("src", "it", "consumer", "src", "main", "java", "com", "example", "Usage.java"));
        assertEquals(usage, code, "README.md's Usage block and Usage.java differ: copy Usage.java into the README");
    }
}
