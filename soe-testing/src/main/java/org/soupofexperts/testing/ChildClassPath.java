package org.soupofexperts.testing;

import java.io.File;
import java.util.ArrayList;
import java.util.List;

/**
 * The class path for a child JVM that runs a test's classes: the test JVM's class path and its
 * module path together. Tests that run on the module path (patched into their module) have the
 * module and its dependencies on {@code jdk.module.path}, not on {@code java.class.path}.
 */
public final class ChildClassPath {

    private ChildClassPath() {}

    /** Every entry of this JVM's class path and module path, as one class path. */
    public static String get() {
        List<String> parts = new ArrayList<>();
        for (String key : List.of("jdk.module.path", "java.class.path")) {
            String v = System.getProperty(key);
            if (v != null && !v.isEmpty()) {
                parts.add(v);
            }
        }
        return String.join(File.pathSeparator, parts);
    }
}
