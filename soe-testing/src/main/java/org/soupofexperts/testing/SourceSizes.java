package org.soupofexperts.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * How big a module's rooms are, read from its sources: folders with too many files, files with
 * too many lines. The modules' tests hold their own limits. Stateless.
 */
public final class SourceSizes {

    private SourceSizes() {}

    /** Each folder under {@code root} with more than {@code max} {@code .java} files, with its count. */
    public static Map<String, Integer> crowdedPackages(Path root, int max) {
        Map<String, Integer> crowded = new TreeMap<>();
        for (Path f : javaFiles(root)) {
            crowded.merge(relative(root, f.getParent()), 1, Integer::sum);
        }
        crowded.values().removeIf(n -> n <= max);
        return crowded;
    }

    /** Each {@code .java} file under {@code root} longer than {@code max} lines, with its length. */
    public static Map<String, Integer> longFiles(Path root, int max) {
        Map<String, Integer> longOnes = new TreeMap<>();
        for (Path f : javaFiles(root)) {
            try (Stream<String> lines = Files.lines(f)) {
                long n = lines.count();
                if (n > max) {
                    longOnes.put(relative(root, f), (int) n);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return longOnes;
    }

    private static List<Path> javaFiles(Path root) {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(p -> p.toString().endsWith(".java")).sorted().collect(Collectors.toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String relative(Path root, Path p) {
        return root.relativize(p).toString().replace('\\', '/');
    }
}
