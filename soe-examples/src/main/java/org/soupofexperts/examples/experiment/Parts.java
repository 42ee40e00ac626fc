package org.soupofexperts.examples.experiment;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
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

    private static final Gson COMPACT = new GsonBuilder().create();

    private static final Logger LOG = LoggerFactory.getLogger(Parts.class);

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

    /** A finished part of type {@code type} (a record of the experiment's results), if there is one. */
    public <T> Optional<T> get(String name, Class<T> type) throws IOException {
        Path f = dir.resolve(name + ".json");
        if (!Files.exists(f)) {
            return Optional.empty();
        }
        T part;
        try {
            part = GSON.fromJson(Files.readString(f, StandardCharsets.UTF_8), type);
        } catch (JsonParseException e) {
            throw new IOException(f + " is not a " + type.getSimpleName() + " part: " + e.getMessage(), e);
        }
        String missing = missingComponent(part);
        if (missing != null) {
            throw new IOException(f + " is a part of another form than " + type.getSimpleName() + " (it has no "
                    + missing + "): written by another version of the program; delete it or use another --out");
        }
        return Optional.of(part);
    }

    /** The first component of a record part that is null (a field its JSON did not have), or null. */
    private static String missingComponent(Object part) throws IOException {
        if (part == null) {
            return "content";
        }
        if (!part.getClass().isRecord()) {
            return null;
        }
        for (RecordComponent c : part.getClass().getRecordComponents()) {
            try {
                c.getAccessor().setAccessible(true);
                if (c.getAccessor().invoke(part) == null) {
                    return c.getName();
                }
            } catch (ReflectiveOperationException | RuntimeException e) {
                throw new IOException(
                        "cannot read " + c.getName() + " of a "
                                + part.getClass().getSimpleName(),
                        e);
            }
        }
        return null;
    }

    /** A finished part of type {@code type} that has its saved model too (for the parts after it), if there is one. */
    public <T> Optional<T> getWithModel(String name, Class<T> type) throws IOException {
        return Files.isDirectory(model(name)) ? get(name, type) : Optional.empty();
    }

    /** Work that makes a part. */
    @FunctionalInterface
    public interface Work<T> {
        /** Makes the part (trains and scores a model, for example). */
        T run() throws IOException;
    }

    /** The part {@code name}: kept from an earlier run if there is one, else made by {@code work} and kept. */
    public <T> T getOrRun(String name, Class<T> type, Work<T> work) throws IOException {
        Optional<T> done = get(name, type);
        if (done.isPresent()) {
            LOG.info("{}: kept from an earlier run in {}", name, dir);
            return done.get();
        }
        T part = work.run();
        put(name, part);
        return part;
    }

    /** Records a finished part (atomically: a crash leaves the old state or the new one). */
    public void put(String name, Object part) throws IOException {
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

    /** The one JSON form of every result an experiment writes (pretty, NaN kept as NaN). */
    public static String json(Object o) {
        return GSON.toJson(o);
    }

    /** {@code o} as JSON on one line, as a report quotes a small map. */
    public static String compactJson(Object o) {
        return COMPACT.toJson(o);
    }

    /** Reads {@code json} written by {@link #json} back as {@code type}. */
    public static <T> T fromJson(String json, Class<T> type) {
        return GSON.fromJson(json, type);
    }
}
