package org.soupofexperts.data.store;

import com.google.gson.JsonObject;
import java.util.Objects;

/**
 * What a token store's manifest records of one token file and its document index: the file
 * names (plain names inside the store's folder), the token, document and text-byte counts and
 * both SHA-256 digests. A domain's split is one shard in a store built on one machine, and any
 * number of shards (read as their concatenation, in the manifest's order) in a store written by
 * many workers. Immutable and thread-safe.
 *
 * @param file the token file's name
 * @param index the document index's name
 * @param tokens tokens in the file (documents and the separators between them)
 * @param documents documents in the index
 * @param bytes UTF-8 bytes of the text behind the tokens (for bits per byte)
 * @param sha256 the token file's SHA-256, lowercase hex
 * @param indexSha256 the index's SHA-256, lowercase hex
 */
public record TokenShard(
        String file, String index, long tokens, long documents, long bytes, String sha256, String indexSha256) {

    public TokenShard {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(index, "index");
        Objects.requireNonNull(sha256, "sha256");
        Objects.requireNonNull(indexSha256, "indexSha256");
        if (tokens < 0 || documents < 0 || bytes < 0) {
            throw new IllegalArgumentException("shard " + file + ": negative count (tokens " + tokens + ", documents "
                    + documents + ", bytes " + bytes + ")");
        }
    }

    JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("file", file);
        o.addProperty("tokens", tokens);
        o.addProperty("documents", documents);
        o.addProperty("bytes", bytes);
        o.addProperty("sha256", sha256);
        o.addProperty("index", index);
        o.addProperty("indexSha256", indexSha256);
        return o;
    }
}
