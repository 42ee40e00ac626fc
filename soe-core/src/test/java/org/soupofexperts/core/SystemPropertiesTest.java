package org.soupofexperts.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.soupofexperts.core.config.ExpertInit;
import org.soupofexperts.testing.ChildClassPath;

/**
 * The library changes no JVM-wide setting of its host: in a fresh JVM (without the build's
 * {@code ai.djl.offline}) where DJL has started its engine, the library trains, saves, loads and
 * instantiates a soup, and the system properties are the same afterwards. Before, the library
 * switched DJL's offline mode on for the whole JVM the moment it started the engine.
 */
class SystemPropertiesTest {

    @TempDir
    Path tmp;

    @Test
    void usingTheLibrarySetsNoSystemProperty() throws Exception {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(
                javaBin,
                "-Xmx1g",
                "-cp",
                ChildClassPath.get(),
                Probe.class.getName(),
                tmp.resolve("soup").toString()));
        Path log = tmp.resolve("probe.log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().remove("DJL_OFFLINE");
        Process p = pb.start();
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), "the probe did not finish");
        String out = Files.readString(log);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("properties unchanged"), out);
    }

    /** Runs in the child JVM: uses the library, then compares the system properties. */
    public static final class Probe {
        public static void main(String[] args) throws Exception {
            // DJL's own start sets JNA's properties (it probes for CUDA): those are DJL's, so the
            // engine is started by DJL directly before the snapshot, and the library is measured alone.
            Engine.getEngine("PyTorch");
            Map<String, String> before = snapshot();
            try (SoupOfExperts soup = SoupOfExperts.builder()
                    .model(ToyDomains.tinyModel())
                    .domains(2)
                    .experts(2)
                    .expertInit(ExpertInit.SCALED_NOISE)
                    .seed(1)
                    .build()) {
                soup.train(new ToyDomains().trainingBuilder().steps(3).warmup(1).build());
                soup.save(Path.of(args[0]));
            }
            try (SoupOfExperts back = SoupOfExperts.load(Path.of(args[0]));
                    Specialist s = back.instantiate(new double[] {1, 0})) {
                s.loss(new int[][] {{1, 2, 3}});
            }
            Map<String, String> after = snapshot();
            if (!before.equals(after)) {
                Map<String, String> changed = new TreeMap<>();
                after.forEach((k, v) -> {
                    if (!v.equals(before.get(k))) {
                        changed.put(k, v);
                    }
                });
                before.keySet().stream().filter(k -> !after.containsKey(k)).forEach(k -> changed.put(k, "<removed>"));
                System.out.println("properties changed: " + changed);
                System.exit(1);
            }
            System.out.println("properties unchanged");
        }

        private static Map<String, String> snapshot() {
            Map<String, String> m = new TreeMap<>();
            System.getProperties().forEach((k, v) -> m.put(String.valueOf(k), String.valueOf(v)));
            return m;
        }
    }
}
