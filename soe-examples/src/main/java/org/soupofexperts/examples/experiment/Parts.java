package org.soupofexperts.examples.experiment;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.soupofexperts.core.io.AtomicFile;

/**
 * The finished parts of a long experiment, one JSON file each under {@code out/parts}: a run
 * that is stopped and started again with the same settings skips what is already done. A run
 * with other settings in the same folder is refused rather than mixed in.
 */
public final class Parts {

    private static final Gson GSON = new GsonBuilder()
            .setPrettyPrinting()
            .serializeSpecialFloatingPointValues()
            .create();

    private final Path dir;

    /**
     * How the parts' losses were measured, recorded with every run's settings: parts written before
     * the validation windows were spread over each split (they lack it) are refused, not mixed.
     */
    static final String MEASURED = " windows=spread";

    /** The parts of an experiment in {@code out}, reused while {@code settings} stay the same. */
    public Parts(Path out, String experimentSettings) throws IOException {
        String settings = experimentSettings + MEASURED;
        this.dir = out.resolve("parts");
        Files.createDirectories(dir);
        Path run = dir.resolve("settings.txt");
        if (Files.exists(run)) {
            String before = Files.readString(run, StandardCharsets.UTF_8);
            if (!before.equals(settings)) {
                throw new IllegalStateException(out + " holds parts of a run with other settings:\n  " + before
                        + "\nnow:\n  " + settings + "\nuse another --out, or delete " + dir + " to start over");
            }
        } else {
            write(run, settings);
        }
    }

    /** A finished part, if there is one. */
    public Optional<JsonObject> get(String name) throws IOException {
        Path f = dir.resolve(name + ".json");
        if (!Files.exists(f)) {
            return Optional.empty();
        }
        return Optional.of(JsonParser.parseString(Files.readString(f, StandardCharsets.UTF_8))
                .getAsJsonObject());
    }

    /** Records a finished part (atomically: a crash leaves the old state or the new one). */
    public void put(String name, JsonObject part) throws IOException {
        write(dir.resolve(name + ".json"), GSON.toJson(part));
    }

    /** Where a part keeps a trained model that later parts reuse. */
    public Path model(String name) {
        return dir.resolve("model-" + name);
    }

    /** Writes through a temporary file and a rename, so a report is never half-written. */
    public static void write(Path file, String text) throws IOException {
        AtomicFile.write(file, text);
    }

    public static String json(Object o) {
        return GSON.toJson(o);
    }
}
