package org.soupofexperts.core;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.soupofexperts.core.io.ArtifactDirectory;
import org.soupofexperts.core.io.SoupFormatException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Seeded damage to saved artefacts: truncations and byte flips of the parameter file, both as
 * accidents (checksum left as it was) and as forgeries (checksum recomputed, so the damage reaches
 * the decoder). Every load must either refuse with a {@link SoupFormatException} naming the
 * folder, or (a forged flip inside the values) load finite weights; never any other exception, a
 * JVM crash, a hang or an OutOfMemoryError. A failure prints the seed and the mutation.
 */
@Tag("fault")
class FaultInjectionTest {

    private static final long SEED = Long.getLong("fault.seed", 20261130L);
    private static final int MUTATIONS = Integer.getInteger("fault.mutations", 150);

    @TempDir Path tmp;

    @Test
    void damagedAndForgedParameterFilesAreRefusedCleanlyOrLoadFiniteWeights() throws IOException {
        Path dir = tmp.resolve("spec");
        try (SoupOfExperts soup = SoupOfExperts.builder().model(ToyDomains.tinyModel()).domains(2).experts(2)
                .expertInit(ExpertInit.SCALED_NOISE).seed(1).build();
                Specialist s = soup.instantiate(new double[] {0.5, 0.5})) {
            s.save(dir);
        }
        Path params = SaveLoadTest.parameterFile(dir);
        Path manifest = dir.resolve(ArtifactDirectory.MANIFEST);
        byte[] good = Files.readAllBytes(params);
        String goodManifest = Files.readString(manifest);
        SplittableRandom rng = new SplittableRandom(SEED);
        int refused = 0;
        int loaded = 0;
        for (int i = 0; i < MUTATIONS; i++) {
            byte[] bad = good.clone();
            String what;
            int kind = rng.nextInt(4);
            if (kind == 0) {
                int len = rng.nextInt(good.length);
                bad = java.util.Arrays.copyOf(good, len);
                what = "truncated to " + len;
            } else if (kind == 1) {
                // The first 600 bytes hold the headers of the first arrays: names, dtypes, shapes, lengths.
                int at = rng.nextInt(Math.min(600, good.length));
                bad[at] ^= (byte) (1 + rng.nextInt(255));
                what = "header byte " + at + " flipped";
            } else if (kind == 2) {
                int at = rng.nextInt(good.length);
                bad[at] ^= (byte) (1 + rng.nextInt(255));
                what = "byte " + at + " flipped";
            } else {
                int at = rng.nextInt(good.length - 4);
                int v = rng.nextBoolean() ? Integer.MAX_VALUE : rng.nextInt();
                java.nio.ByteBuffer.wrap(bad).putInt(at, v);
                what = "int " + v + " written at " + at;
            }
            boolean forged = rng.nextBoolean();
            Files.write(params, bad);
            Files.writeString(manifest, goodManifest);
            if (forged) {
                SaveLoadTest.forge(manifest, m -> {
                    m.getAsJsonObject("parameterFile").addProperty("bytes", sizeOf(params));
                    m.getAsJsonObject("parameterFile").addProperty("sha256", sha(params));
                });
            }
            String mutation = what + (forged ? ", checksum forged" : "") + " (seed " + SEED + ", mutation " + i + ")";
            try (Specialist back = Specialist.load(dir)) {
                loaded++;
                assertTrue(forged, "an unforged damaged file must never load: " + mutation);
            } catch (SoupFormatException e) {
                refused++;
                assertTrue(e.getMessage().contains(dir.toString()), "the message must name the folder: " + e.getMessage()
                        + "; " + mutation);
            } catch (RuntimeException | Error e) {
                fail("a " + e.getClass().getSimpleName() + " instead of a clean refusal for " + mutation + ": " + e, e);
            }
        }
        org.slf4j.LoggerFactory.getLogger(FaultInjectionTest.class).info(
                "fault injection: {} mutations, {} refused cleanly, {} forged ones loaded finite weights (seed {})",
                MUTATIONS, refused, loaded, SEED);
        assertTrue(refused > MUTATIONS / 2, refused + " refused, " + loaded + " loaded (seed " + SEED + ")");
    }

    private static long sizeOf(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String sha(Path p) {
        try {
            return ArtifactDirectory.digest(p);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
