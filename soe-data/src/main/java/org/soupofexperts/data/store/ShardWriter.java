package org.soupofexperts.data.store;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import org.soupofexperts.data.tokenize.Tokenizer;

/**
 * Writes one shard of a token store: documents go to a token stream (little-endian uint16 when
 * the vocabulary fits, else int32, documents separated by the tokens of a blank line) and their
 * [start, end) token ranges to an index stream (big-endian longs), both hashed as they are
 * written. The streams may be local files or a distributed file system's: a Spark task writes
 * its shards this way, and {@link ShardedStore} lists them in a manifest. The caller names the
 * files and makes them appear atomically; {@link #finish()} closes both streams. Not
 * thread-safe: one writer per shard.
 */
public final class ShardWriter implements AutoCloseable {

    /** The separator's text: a blank line, counted as 2 bytes of text. */
    private static final String SEPARATOR = "\n\n";

    private final String file;
    private final String indexFile;
    private final Tokenizer tokenizer;
    private final int bytesPerToken;
    private final int[] separator;
    private final MessageDigest sha;
    private final MessageDigest indexSha;
    /** The local files of {@link #inFolder}, reopened for appending after {@link #suspend}; null for given streams. */
    private final Path tokenPath;

    private final Path indexPath;
    private OutputStream out;
    private DataOutputStream index;
    private ByteBuffer buf;
    private long tokens;
    private long documents;
    private long textBytes;
    private boolean closed;

    /**
     * A writer of the token file {@code file} and the index {@code indexFile} (the names the
     * manifest will give; both must be plain names inside the store's folder) to the two streams,
     * which it owns from now on.
     */
    public ShardWriter(
            String file, OutputStream tokenStream, String indexFile, OutputStream indexStream, Tokenizer tokenizer) {
        this(file, tokenStream, indexFile, indexStream, tokenizer, null, null);
    }

    private ShardWriter(
            String file,
            OutputStream tokenStream,
            String indexFile,
            OutputStream indexStream,
            Tokenizer tokenizer,
            Path tokenPath,
            Path indexPath) {
        this.tokenPath = tokenPath;
        this.indexPath = indexPath;
        this.file = Objects.requireNonNull(file, "file");
        this.indexFile = Objects.requireNonNull(indexFile, "indexFile");
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        this.bytesPerToken = bytesPerToken(tokenizer);
        this.separator = tokenizer.encode(SEPARATOR);
        try {
            sha = MessageDigest.getInstance("SHA-256");
            indexSha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        open(tokenStream, indexStream);
    }

    /** Wraps the two streams; the digests carry on from what was written before. */
    private void open(OutputStream tokenStream, OutputStream indexStream) {
        out = new DigestOutputStream(new BufferedOutputStream(tokenStream, 1 << 16), sha);
        index = new DataOutputStream(new DigestOutputStream(new BufferedOutputStream(indexStream, 1 << 16), indexSha));
        buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Writes out what is buffered and closes the files, keeping the writer's state, so that a
     * store with thousands of domains does not hold four descriptors and 384 KiB of buffers per
     * domain while it is built; the next {@link #add} reopens the files for appending. A writer
     * over given streams (not {@link #inFolder}) cannot reopen them and ignores this.
     */
    public void suspend() throws IOException {
        if (closed || out == null || tokenPath == null) {
            return;
        }
        out.write(buf.array(), 0, buf.position());
        OutputStream o = out;
        DataOutputStream i = index;
        out = null;
        index = null;
        buf = null;
        try {
            i.close();
        } finally {
            o.close();
        }
    }

    private void resume() throws IOException {
        OutputStream tokens = Files.newOutputStream(tokenPath, StandardOpenOption.APPEND);
        try {
            open(tokens, Files.newOutputStream(indexPath, StandardOpenOption.APPEND));
        } catch (IOException | RuntimeException e) {
            tokens.close();
            throw e;
        }
    }

    /** A writer of {@code name}.tok and {@code name}.idx in a local folder. */
    public static ShardWriter inFolder(Path dir, String name, Tokenizer tokenizer) throws IOException {
        Path tokenPath = dir.resolve(name + ".tok");
        Path indexPath = dir.resolve(name + ".idx");
        OutputStream tokens = Files.newOutputStream(tokenPath);
        try {
            return new ShardWriter(
                    name + ".tok",
                    tokens,
                    name + ".idx",
                    Files.newOutputStream(indexPath),
                    tokenizer,
                    tokenPath,
                    indexPath);
        } catch (IOException | RuntimeException e) {
            tokens.close();
            throw e;
        }
    }

    /** Bytes per token in a store of this tokenizer's ids: 2 when the vocabulary fits in 16 bits, else 4. */
    public static int bytesPerToken(Tokenizer tokenizer) {
        return tokenizer.vocabSize() <= 65536 ? 2 : 4;
    }

    /** Tokenizes and appends one document. */
    public void add(String text) throws IOException {
        if (closed) {
            throw new IllegalStateException("shard " + file + " is finished");
        }
        if (out == null) {
            resume();
        }
        int[] ids = tokenizer.encode(text);
        for (int id : ids) {
            if (id < 0 || id >= tokenizer.vocabSize()) {
                throw new IllegalStateException("tokenizer " + tokenizer.id() + " produced id " + id + " outside [0, "
                        + tokenizer.vocabSize() + ")");
            }
        }
        if (documents > 0) {
            put(separator);
            textBytes += SEPARATOR.length();
        }
        index.writeLong(tokens);
        index.writeLong(tokens + ids.length);
        put(ids);
        textBytes += text.getBytes(StandardCharsets.UTF_8).length;
        documents++;
    }

    private void put(int[] ids) throws IOException {
        for (int id : ids) {
            if (buf.remaining() < 4) {
                out.write(buf.array(), 0, buf.position());
                buf.clear();
            }
            if (bytesPerToken == 2) {
                buf.putShort((short) id);
            } else {
                buf.putInt(id);
            }
        }
        tokens += ids.length;
    }

    /** Documents written so far. */
    public long documents() {
        return documents;
    }

    /** Flushes and closes both streams and returns the shard's manifest entry. */
    public TokenShard finish() throws IOException {
        if (closed) {
            throw new IllegalStateException("shard " + file + " is already finished or closed");
        }
        if (out == null) {
            resume();
        }
        out.write(buf.array(), 0, buf.position());
        buf.clear();
        closed = true;
        try {
            index.close();
        } finally {
            out.close();
        }
        return new TokenShard(
                file,
                indexFile,
                tokens,
                documents,
                textBytes,
                HexFormat.of().formatHex(sha.digest()),
                HexFormat.of().formatHex(indexSha.digest()));
    }

    /** Closes both streams without a manifest entry (after a failure; the caller deletes the files). */
    @Override
    public void close() throws IOException {
        if (!closed) {
            closed = true;
            if (out == null) {
                return; // suspended: nothing open
            }
            try {
                index.close();
            } finally {
                out.close();
            }
        }
    }
}
