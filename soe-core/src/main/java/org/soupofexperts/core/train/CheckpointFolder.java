package org.soupofexperts.core.train;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.soupofexperts.core.io.internal.ArtifactDirectory;

/**
 * The checkpoints a training run left in its {@link CheckpointPolicy#directory()}: which there
 * are, which one to resume from ({@code TrainingPlan.Builder.resumeFrom}), and removing them
 * once the run's result is saved. Each checkpoint is a folder {@code step-NNNNNNNN} holding a
 * checksummed artefact of kind {@value #KIND}; how it is written and read is the training loop's
 * business, not part of the API.
 *
 * <p>Stateless and thread-safe; do not delete a folder a running training loop is writing into.
 */
public final class CheckpointFolder {

    /** The artefact kind in a checkpoint's manifest. */
    public static final String KIND = "checkpoint";

    private static final Logger LOG = LoggerFactory.getLogger(CheckpointFolder.class);
    private static final Pattern NAME = Pattern.compile("step-(\\d{8,10})");
    private static final Pattern TEMP = Pattern.compile("\\.step-\\d{8,10}\\.tmp-[0-9a-f-]{36}");

    private CheckpointFolder() {}

    /** The checkpoints in {@code dir}, oldest first (folders named {@code step-N} with a manifest). */
    public static List<Path> list(Path dir) throws IOException {
        List<Path> found = new ArrayList<>();
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return found;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                if (NAME.matcher(p.getFileName().toString()).matches()
                        && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)
                        && Files.isRegularFile(p.resolve(ArtifactDirectory.MANIFEST), LinkOption.NOFOLLOW_LINKS)) {
                    found.add(p);
                }
            }
        }
        found.sort(Comparator.comparingLong(CheckpointFolder::stepOf));
        return found;
    }

    /** The newest checkpoint in {@code dir}, if any (what {@code soe train --resume} continues from). */
    public static Optional<Path> latest(Path dir) throws IOException {
        List<Path> all = list(dir);
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }

    /**
     * Deletes every checkpoint in {@code dir} (their own files only) and the folder if that
     * leaves it empty; for when the run's result is safely saved. No-op if there is none.
     */
    public static void deleteAll(Path dir) throws IOException {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        removeTemporaries(dir);
        for (Path p : list(dir)) {
            delete(p);
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            if (!ds.iterator().hasNext()) {
                Files.delete(dir);
            }
        }
    }

    /** The step a checkpoint folder's name gives, or -1 if it is not named like a checkpoint. */
    public static long stepOf(Path checkpoint) {
        Matcher m = NAME.matcher(checkpoint.getFileName().toString());
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }

    /** The folder name of the checkpoint of {@code step}. */
    public static String nameOf(int step) {
        return String.format("step-%08d", step);
    }

    /**
     * Removes the hidden {@code .step-*.tmp-*} folders that checkpoint writes killed midway left
     * in {@code dir} (their own files only). No-op if {@code dir} is not a folder.
     */
    public static void removeTemporaries(Path dir) throws IOException {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                if (TEMP.matcher(p.getFileName().toString()).matches()
                        && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    LOG.info("removing {}, left by an interrupted checkpoint", p);
                    delete(p);
                }
            }
        }
    }

    /**
     * Deletes one checkpoint's own files and, if nothing else is in it, its folder; a folder that
     * also holds other files is left in place (with a warning).
     */
    public static void delete(Path checkpoint) throws IOException {
        if (!ArtifactDirectory.delete(checkpoint)) {
            LOG.warn("{} holds files that are not a checkpoint's; it was left in place", checkpoint);
        }
    }
}
