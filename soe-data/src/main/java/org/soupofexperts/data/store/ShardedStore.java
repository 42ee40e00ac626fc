package org.soupofexperts.data.store;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import org.soupofexperts.core.io.AtomicFile;
import org.soupofexperts.data.tokenize.Tokenizer;

/**
 * The manifest of a token store written in shards by many workers (a Spark job writes one shard
 * per domain and partition with {@link ShardWriter}): it lists each domain's train and valid
 * shards in order, and {@link TokenStore#open} reads each split as the concatenation of its
 * shards, memory-mapped and checksummed like a single-machine store. Domain i of the manifest is
 * index i of h: list the domains in the soup's (and the centroids') order.
 *
 * <p>{@code ShardedStore.builder(tokenizer).validation(0.05, 0).domain("a", train, valid)...
 * .write(dir)}. A builder is not thread-safe; {@link Builder#write} and {@link Builder#toJson} may be
 * called from any thread once it is filled.
 */
public final class ShardedStore {

    private ShardedStore() {}

    /** A manifest for shards of this tokenizer's ids. */
    public static Builder builder(Tokenizer tokenizer) {
        return new Builder(tokenizer);
    }

    /** Collects the domains and their shards. */
    public static final class Builder {
        private final Tokenizer tokenizer;
        private final List<String> names = new ArrayList<>();
        private final List<List<TokenShard>> train = new ArrayList<>();
        private final List<List<TokenShard>> valid = new ArrayList<>();
        private final Set<String> files = new HashSet<>();
        private double validFraction = 0.05;
        private long seed;
        private String fingerprint = "";

        private Builder(Tokenizer tokenizer) {
            this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        }

        /** The held-out fraction and seed the shards were split with ({@link TokenStore#heldOut}); recorded. */
        public Builder validation(double fraction, long seed) {
            if (!(fraction >= 0 && fraction < 1)) {
                throw new IllegalArgumentException("validation fraction must be in [0, 1), got " + fraction);
            }
            this.validFraction = fraction;
            this.seed = seed;
            return this;
        }

        /** What the shards were made from (input, centroids, options), recorded for provenance. */
        public Builder fingerprint(String fingerprint) {
            this.fingerprint = Objects.requireNonNull(fingerprint, "fingerprint");
            return this;
        }

        /** Appends a domain (index = number of domains added before) with its shards in reading order. */
        public Builder domain(String name, List<TokenShard> trainShards, List<TokenShard> validShards) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("a domain needs a non-blank name");
            }
            if (names.contains(name)) {
                throw new IllegalArgumentException("domain '" + name + "' is listed twice");
            }
            for (List<TokenShard> split : List.of(trainShards, validShards)) {
                for (TokenShard s : split) {
                    for (String f : List.of(s.file(), s.index())) {
                        if (!files.add(f)) {
                            throw new IllegalArgumentException("file '" + f + "' is listed twice (domain '" + name
                                    + "'): every shard needs its own token file and index");
                        }
                    }
                }
            }
            names.add(name);
            train.add(List.copyOf(trainShards));
            valid.add(List.copyOf(validShards));
            return this;
        }

        /** The manifest's text, for writers on file systems other than the local one. */
        public String toJson() {
            if (names.isEmpty()) {
                throw new IllegalStateException("a token store needs at least one domain");
            }
            JsonArray ds = new JsonArray();
            for (int i = 0; i < names.size(); i++) {
                JsonObject d = new JsonObject();
                d.addProperty("name", names.get(i));
                d.add("train", shards(train.get(i)));
                d.add("valid", shards(valid.get(i)));
                ds.add(d);
            }
            JsonObject m = TokenStore.header(TokenStore.SHARDED_FORMAT, fingerprint, tokenizer, validFraction, seed);
            m.add("domains", ds);
            return new GsonBuilder().setPrettyPrinting().create().toJson(m);
        }

        private static JsonObject shards(List<TokenShard> list) {
            JsonArray a = new JsonArray();
            list.forEach(s -> a.add(s.toJson()));
            JsonObject o = new JsonObject();
            o.add("shards", a);
            return o;
        }

        /**
         * Writes the manifest into {@code dir} (which holds the shards) atomically (a temporary
         * file renamed over any old manifest) and opens the store, which verifies every shard's
         * size and checksum.
         */
        public TokenStore write(Path dir) throws IOException {
            String json = toJson();
            Path tmp = dir.resolve(".manifest-" + UUID.randomUUID() + ".tmp");
            try {
                TokenStore.writeManifest(
                        tmp.getParent(), json, tmp.getFileName().toString());
                AtomicFile.rename(tmp, dir.resolve("manifest.json"));
            } finally {
                Files.deleteIfExists(tmp);
            }
            return TokenStore.open(dir);
        }
    }
}
