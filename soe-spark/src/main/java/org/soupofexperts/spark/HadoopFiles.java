package org.soupofexperts.spark;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.UUID;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.soupofexperts.core.io.AtomicFile;

/**
 * The job's file operations through Hadoop's file system API, so that an output folder may be a
 * local path or any Hadoop URI (hdfs://, s3a://, file://). Stateless and thread-safe.
 */
final class HadoopFiles {

    private HadoopFiles() {}

    /** A file system instance of its own (not Hadoop's shared cached one, whose settings it changes); close it. */
    static FileSystem fileSystem(String path) throws IOException {
        FileSystem fs = FileSystem.newInstance(URI.create(new Path(path).toUri().toString()), new Configuration());
        fs.setWriteChecksum(false); // no .crc side files on a local file system
        return fs;
    }

    /** Moves {@code from} over {@code to} (Hadoop's rename does not replace: delete, then rename). */
    static void replace(FileSystem fs, Path from, Path to) throws IOException {
        if (fs.exists(to)) {
            fs.delete(to, false);
        }
        if (!fs.rename(from, to)) {
            throw new IOException("cannot rename " + from + " to " + to);
        }
    }

    /**
     * Writes a file under a temporary name, then renames it into place: atomically over the old
     * one on a local file system, by Hadoop's delete and rename elsewhere.
     */
    static void writeAtomically(FileSystem fs, Path target, byte[] bytes) throws IOException {
        Path tmp = new Path(target.getParent(), "." + target.getName() + ".tmp-" + UUID.randomUUID());
        try {
            try (OutputStream o = fs.create(tmp, true)) {
                o.write(bytes);
            }
            if ("file".equals(fs.getUri().getScheme())) {
                AtomicFile.rename(
                        Paths.get(fs.makeQualified(tmp).toUri()),
                        Paths.get(fs.makeQualified(target).toUri()));
            } else {
                replace(fs, tmp, target);
            }
        } finally {
            fs.delete(tmp, false);
        }
    }

    /** {@link #writeAtomically} of a UTF-8 text at a path or URI. */
    static void writeString(String file, String text) throws IOException {
        try (FileSystem fs = fileSystem(file)) {
            Path p = new Path(file);
            fs.mkdirs(p.getParent());
            writeAtomically(fs, p, text.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** {@link #prepareStoreFolder}'s refusal alone, deleting nothing: for a check before any work. */
    static void checkStoreFolder(String dir) throws IOException {
        try (FileSystem fs = fileSystem(dir)) {
            if (fs.exists(new Path(dir))) {
                checkStoreFolder(fs, dir);
            }
        }
    }

    /** The folder's entries, once each is known to be this job's; refuses it otherwise. */
    private static FileStatus[] checkStoreFolder(FileSystem fs, String dir) throws IOException {
        Path p = new Path(dir);
        if (!fs.getFileStatus(p).isDirectory()) {
            throw new IllegalArgumentException(dir + " is a file, not a folder for a token store: move it away");
        }
        FileStatus[] inside = fs.listStatus(p);
        for (FileStatus f : inside) {
            String name = f.getPath().getName();
            if (f.isDirectory() || !OURS.matcher(name).matches()) {
                throw new IllegalArgumentException(dir + " holds " + (f.isDirectory() ? "a folder, " : "") + name
                        + ", which this job's token store never has: move it away or choose --out");
            }
        }
        return inside;
    }

    /** The files a token store of this job holds: its manifest, its shards and their temporary names. */
    private static final Pattern OURS = Pattern.compile(
            "manifest\\.json|\\.manifest\\.json\\.tmp-.+" + "|\\.?(train|valid)-c\\d+-p\\d+\\.(tok|idx)(\\.tmp-.+)?");

    /**
     * Makes {@code dir} an empty folder for a token store. A store of an earlier run (it has a
     * manifest.json), or what a failed run left (only shards and temporary files of this job), is
     * emptied, its manifest first, so that a store emptied half-way never reads as one; any other
     * non-empty folder is refused before anything is deleted (it may be the user's data).
     */
    static void prepareStoreFolder(String dir) throws IOException {
        try (FileSystem fs = fileSystem(dir)) {
            Path p = new Path(dir);
            if (fs.exists(p)) {
                FileStatus[] inside = checkStoreFolder(fs, dir);
                fs.delete(new Path(p, "manifest.json"), false);
                for (FileStatus f : inside) {
                    fs.delete(f.getPath(), false);
                }
            }
            fs.mkdirs(p);
        }
    }
}
