package org.soupofexperts.data.store;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.soupofexperts.core.io.SoupFormatException;
import org.soupofexperts.core.io.internal.ArtifactDirectory;
import org.soupofexperts.core.io.internal.StrictJson;

/**
 * One split (train or valid) of one domain: the concatenation of its shards' token files,
 * memory-mapped, read as one sequence. A store built on one machine has one shard per split; a
 * store written by many workers may have any number (empty ones included). Immutable and
 * thread-safe.
 */
final class TokenSplit {

    private static final long CHUNK = 1L << 30;

    final long tokens;
    final long documents;
    final long textBytes;
    private final TokenFile[] shards;
    /** Token offset of each shard in the concatenation, and the total at the end. */
    private final long[] tokenStart;
    /** Document offset of each shard, and the total at the end. */
    private final long[] documentStart;

    private TokenSplit(List<TokenFile> files) {
        this.shards = files.toArray(new TokenFile[0]);
        this.tokenStart = new long[shards.length + 1];
        this.documentStart = new long[shards.length + 1];
        long bytes = 0;
        for (int i = 0; i < shards.length; i++) {
            tokenStart[i + 1] = tokenStart[i] + shards[i].tokens;
            documentStart[i + 1] = documentStart[i] + shards[i].ranges.length / 2;
            bytes += shards[i].textBytes;
        }
        this.tokens = tokenStart[shards.length];
        this.documents = documentStart[shards.length];
        this.textBytes = bytes;
    }

    /**
     * Opens a split as a manifest describes it: one shard object (the single-machine format) or,
     * where {@code sharded} is allowed, {@code {"shards": [...]}}. Every file it names is claimed
     * for {@code role} (domain/split) in {@code claimed}; a file some split already claimed is refused.
     */
    static TokenSplit open(
            Path dir,
            JsonObject o,
            int bytes,
            boolean verify,
            boolean sharded,
            Map<String, String> claimed,
            String role)
            throws IOException {
        String where = "token store " + dir;
        if (!o.has("shards")) {
            return new TokenSplit(List.of(TokenFile.open(dir, o, bytes, verify, claimed, role)));
        }
        if (!sharded) {
            throw new SoupFormatException(where + ": a split lists shards, which its format version does not allow");
        }
        JsonElement list = o.get("shards");
        if (!list.isJsonArray()) {
            throw new SoupFormatException(where + ": 'shards' must be an array of shard objects");
        }
        List<TokenFile> files = new ArrayList<>();
        long total = 0;
        for (JsonElement e : list.getAsJsonArray()) {
            if (!e.isJsonObject()) {
                throw new SoupFormatException(where + ": a shard entry is not an object: " + e);
            }
            TokenFile f = TokenFile.open(dir, e.getAsJsonObject(), bytes, verify, claimed, role);
            total += f.tokens;
            if (total < 0 || total > Long.MAX_VALUE / 8) {
                throw new SoupFormatException(where + ": its shards' token counts overflow");
            }
            files.add(f);
        }
        return new TokenSplit(files);
    }

    /** The [start, end) token range of document i (0 <= i < documents), in the concatenation. */
    long[] documentRange(long i) {
        int s = shardOfDocument(i);
        long local = i - documentStart[s];
        long[] r = shards[s].ranges;
        int k = Math.toIntExact(2 * local);
        return new long[] {tokenStart[s] + r[k], tokenStart[s] + r[k + 1]};
    }

    private int shardOfDocument(long i) {
        int s = Arrays.binarySearch(documentStart, i);
        if (s < 0) {
            return -s - 2;
        }
        // Several shards may start at i when some are empty: take the last, which holds document i.
        while (s + 1 < shards.length && documentStart[s + 1] == i) {
            s++;
        }
        return s;
    }

    /** Copies tokens [start, start + len) of the concatenation, across shard boundaries. */
    void copy(long start, int[] dst, int off, int len) {
        if (start < 0 || len < 0 || start + len > tokens) {
            throw new IndexOutOfBoundsException(
                    "tokens [" + start + ", " + (start + len) + ") outside [0, " + tokens + ")");
        }
        int s = Arrays.binarySearch(tokenStart, start);
        s = s < 0 ? -s - 2 : s;
        long pos = start;
        int done = 0;
        while (done < len) {
            while (tokenStart[s + 1] <= pos) {
                s++; // skips empty shards and moves on at a boundary
            }
            int n = (int) Math.min(len - done, tokenStart[s + 1] - pos);
            shards[s].copy(pos - tokenStart[s], dst, off + done, n);
            pos += n;
            done += n;
        }
    }

    /** A read-only, memory-mapped token file (mapped in 1 GiB chunks) and its document index. */
    private static final class TokenFile {
        final long tokens;
        final long textBytes;
        final int bytes;
        final MappedByteBuffer[] chunks;
        final long[] ranges; // [start0, end0, start1, end1, ...]

        private TokenFile(long tokens, long textBytes, int bytes, MappedByteBuffer[] chunks, long[] ranges) {
            this.tokens = tokens;
            this.textBytes = textBytes;
            this.bytes = bytes;
            this.chunks = chunks;
            this.ranges = ranges;
        }

        /**
         * The file a manifest field names, which must be a plain name inside the store's folder:
         * no separators, no "..", not hidden, not absolute (a forged manifest must not make
         * training read a file from elsewhere).
         */
        static Path inside(Path dir, JsonObject o, String key) throws SoupFormatException {
            String name = StrictJson.string(o, key, "token store " + dir);
            Path p = dir.resolve(name).normalize();
            if (name.isEmpty()
                    || name.contains("/")
                    || name.contains("\\")
                    || name.startsWith(".")
                    || !dir.normalize().equals(p.getParent())) {
                throw new SoupFormatException("token store " + dir + ": its manifest names '" + name + "' as " + key
                        + ", which is not a file inside the store; refused");
            }
            return p;
        }

        static TokenFile open(
                Path dir, JsonObject o, int bytes, boolean verify, Map<String, String> claimed, String role)
                throws IOException {
            String where = "token store " + dir;
            Path f = inside(dir, o, "file");
            claim(where, claimed, f, role);
            claim(where, claimed, inside(dir, o, "index"), role);
            long tokens = StrictJson.longValue(o, "tokens", 0, Long.MAX_VALUE / 8, where);
            if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                throw new SoupFormatException(where + " is incomplete: " + f.getFileName()
                        + (Files.exists(f, LinkOption.NOFOLLOW_LINKS)
                                ? " is a link or special file, not a regular file"
                                : " is missing"));
            }
            long size = Files.size(f);
            if (size != tokens * bytes) {
                throw new SoupFormatException("token file " + f + " has " + size + " bytes; the manifest says " + tokens
                        + " tokens of " + bytes + " bytes (truncated or damaged)");
            }
            if (verify && !ArtifactDirectory.digest(f).equals(StrictJson.string(o, "sha256", where))) {
                throw new SoupFormatException(
                        "token file " + f + " is corrupt: its SHA-256 does not match the manifest");
            }
            MappedByteBuffer[] chunks = map(f, size);
            long documents = StrictJson.longValue(o, "documents", 0, Integer.MAX_VALUE / 2, where);
            Path idx = inside(dir, o, "index");
            if (!Files.isRegularFile(idx, LinkOption.NOFOLLOW_LINKS) || Files.size(idx) != documents * 16) {
                throw new SoupFormatException("document index " + idx + " is missing or truncated");
            }
            if (verify && !ArtifactDirectory.digest(idx).equals(StrictJson.string(o, "indexSha256", where))) {
                throw new SoupFormatException(
                        "document index " + idx + " is corrupt: its SHA-256 does not match the manifest");
            }
            long[] ranges = readIndex(idx, documents, tokens);
            long textBytes = StrictJson.longValue(o, "bytes", 0, Long.MAX_VALUE, where);
            return new TokenFile(tokens, textBytes, bytes, chunks, ranges);
        }

        private static void claim(String where, Map<String, String> claimed, Path f, String role)
                throws SoupFormatException {
            String first = claimed.putIfAbsent(f.getFileName().toString(), role);
            if (first != null) {
                throw new SoupFormatException(where + ": its manifest lists " + f.getFileName() + " twice ("
                        + (first.equals(role) ? "both in " + role : "in " + first + " and in " + role)
                        + "); each file belongs to one split of one domain, so it is refused");
            }
        }

        private static MappedByteBuffer[] map(Path f, long size) throws IOException {
            int n = (int) ((size + CHUNK - 1) / CHUNK);
            MappedByteBuffer[] chunks = new MappedByteBuffer[n];
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
                for (int i = 0; i < n; i++) {
                    long pos = i * CHUNK;
                    chunks[i] = ch.map(FileChannel.MapMode.READ_ONLY, pos, Math.min(CHUNK, size - pos));
                    chunks[i].order(ByteOrder.LITTLE_ENDIAN);
                }
            }
            return chunks;
        }

        private static long[] readIndex(Path idx, long documents, long tokens) throws IOException {
            long[] ranges = new long[Math.toIntExact(documents * 2)];
            try (DataInputStream in =
                    new DataInputStream(new BufferedInputStream(Files.newInputStream(idx), 1 << 16))) {
                for (int i = 0; i < ranges.length; i++) {
                    ranges[i] = in.readLong();
                }
            }
            for (int i = 0; i < ranges.length; i += 2) {
                if (ranges[i] < 0 || ranges[i] > ranges[i + 1] || ranges[i + 1] > tokens) {
                    throw new SoupFormatException(
                            "document index " + idx + " is corrupt: document " + i / 2 + " spans [" + ranges[i] + ", "
                                    + ranges[i + 1] + ") outside the " + tokens + " tokens of its file");
                }
            }
            return ranges;
        }

        void copy(long start, int[] dst, int off, int len) {
            for (int i = 0; i < len; i++) {
                long b = (start + i) * bytes;
                MappedByteBuffer c = chunks[(int) (b / CHUNK)];
                int p = (int) (b % CHUNK);
                dst[off + i] = bytes == 2 ? (c.getShort(p) & 0xffff) : c.getInt(p);
            }
        }
    }
}
