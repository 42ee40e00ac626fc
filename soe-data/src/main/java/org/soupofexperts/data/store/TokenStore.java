package org.soupofexperts.data.store;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.soupofexperts.core.config.Domains;
import org.soupofexperts.core.io.AtomicFile;
import org.soupofexperts.core.io.SoupFormatException;
import org.soupofexperts.core.io.Version;
import org.soupofexperts.core.io.internal.ArtifactDirectory;
import org.soupofexperts.core.io.internal.StrictJson;
import org.soupofexperts.data.corpus.Corpus;
import org.soupofexperts.data.corpus.Document;
import org.soupofexperts.data.sample.WindowSampler;
import org.soupofexperts.data.tokenize.Tokenizer;

/**
 * A corpus tokenized once into per-domain binary token files (little-endian uint16 when the
 * vocabulary fits, else int32), memory-mapped for sampling, with a manifest of domains, token
 * counts, tokenizer id and source fingerprint. Held-out documents (not windows of training
 * documents) form the validation split: a document goes there when a seeded hash of its text
 * falls below the validation fraction, independent of reading order.
 *
 * <p>{@link #openOrBuild} reuses a store whose fingerprint matches and rebuilds it otherwise. A
 * build happens in a sibling temporary directory that replaces the old store by renames, so an
 * interrupted build never leaves a half-written store under the store's name (a crash between
 * the two renames leaves the old store as {@code <dir>.old-*}). Opening verifies sizes and
 * SHA-256 checksums, so a damaged token file is detected.
 *
 * <p>An open store is immutable and thread-safe.
 */
public final class TokenStore {

    private static final Logger LOG = LoggerFactory.getLogger(TokenStore.class);
    private static final String FORMAT = "soupofexperts-tokens/2";
    /** The format of a store written in shards by many workers ({@link ShardedStore}). */
    static final String SHARDED_FORMAT = "soupofexperts-tokens/3";

    private static final String MANIFEST = "manifest.json";
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

    private final Path dir;
    private final JsonObject manifest;
    private final List<String> domains = new ArrayList<>();
    private final Domains domainSet;
    private final List<TokenSplit> train = new ArrayList<>();
    private final List<TokenSplit> valid = new ArrayList<>();

    /**
     * Options of a build.
     *
     * @param validFraction share of documents held out for validation
     * @param seed seed of the held-out choice
     * @param domainOf a document's domain label
     * @param labelling identifies {@code domainOf} in the fingerprint (change it when the labels
     *     change, e.g. after re-clustering, so the store is rebuilt)
     * @param domainOrder the domains in index order (every one must receive documents; a label
     *     outside it is an error), or null to order them by name. Domain index i of the store is
     *     index i of h, so this must match the soup's and the centroids' order.
     */
    public record Options(
            double validFraction,
            long seed,
            Function<Document, String> domainOf,
            String labelling,
            List<String> domainOrder) {
        public Options {
            if (!(validFraction >= 0 && validFraction < 1)) {
                throw new IllegalArgumentException("validation fraction must be in [0, 1), got " + validFraction);
            }
            Objects.requireNonNull(domainOf, "domainOf");
            Objects.requireNonNull(labelling, "labelling");
            domainOrder = domainOrder == null ? null : List.copyOf(domainOrder);
        }

        /** 5% of documents held out, labels from the corpus, domains ordered by name. */
        public static Options defaults() {
            return new Options(0.05, 0, Document::domain, "corpus-labels", null);
        }

        /** The same options with another held-out fraction and seed. */
        public Options withValidation(double fraction, long seed) {
            return new Options(fraction, seed, domainOf, labelling, domainOrder);
        }
    }

    /** How long a leftover of a killed build must have been untouched before a build removes it. */
    static final Duration STALE = Duration.ofMinutes(10);

    private TokenStore(Path dir, JsonObject manifest, boolean verify) throws IOException {
        this.dir = dir;
        this.manifest = manifest;
        String where = "token store " + dir;
        try {
            // Every field a later call reads is checked here, so a forged manifest fails at open.
            StrictJson.string(manifest, "tokenizer", where);
            StrictJson.integer(manifest, "vocabSize", 1, Integer.MAX_VALUE, where);
            StrictJson.string(manifest, "fingerprint", where);
            int bytes = StrictJson.integer(manifest, "bytesPerToken", 2, 4, where);
            if (bytes == 3) {
                throw new SoupFormatException(where + ": bytesPerToken must be 2 or 4, got 3");
            }
            boolean sharded = SHARDED_FORMAT.equals(manifest.get("format").getAsString());
            // Each token and index file belongs to one split of one domain: a file listed twice
            // would leak validation data into training or multiply a domain's size.
            Map<String, String> claimed = new HashMap<>();
            for (var e : manifest.getAsJsonArray("domains")) {
                JsonObject d = e.getAsJsonObject();
                String name = StrictJson.string(d, "name", where);
                if (domains.contains(name)) {
                    throw new SoupFormatException(where + ": domain '" + name + "' is listed twice");
                }
                domains.add(name);
                train.add(TokenSplit.open(
                        dir, StrictJson.object(d, "train", where), bytes, verify, sharded, claimed, name + "/train"));
                valid.add(TokenSplit.open(
                        dir, StrictJson.object(d, "valid", where), bytes, verify, sharded, claimed, name + "/valid"));
            }
            if (domains.isEmpty()) {
                throw new SoupFormatException(where + ": its manifest lists no domains");
            }
            long[] sizes = new long[domains.size()];
            for (int d = 0; d < sizes.length; d++) {
                sizes[d] = train.get(d).tokens;
            }
            domainSet = Domains.of(domains, sizes);
        } catch (RuntimeException e) {
            throw new SoupFormatException(where + ": its manifest is malformed (" + e.getMessage() + ")", e);
        }
    }

    /** Opens the store in {@code dir} if it was built from the same corpus and tokenizer, else builds it. */
    public static TokenStore openOrBuild(Path dir, Corpus corpus, Tokenizer tokenizer, Options options)
            throws IOException {
        return openOrBuild(dir, corpus, null, tokenizer, options);
    }

    /**
     * As {@link #openOrBuild(Path, Corpus, Tokenizer, Options)} with the validation split given as
     * a corpus of its own: every document of {@code corpus} goes to the training split (the
     * options' fraction is not used) and every document of {@code validation} to the validation
     * split of its domain, which the training corpus must have. Null {@code validation}: the
     * options' fraction of {@code corpus} is held out.
     */
    public static TokenStore openOrBuild(
            Path dir, Corpus corpus, Corpus validation, Tokenizer tokenizer, Options options) throws IOException {
        String fingerprint = fingerprint(corpus, validation, tokenizer, options);
        Path m = dir.resolve(MANIFEST);
        if (Files.isRegularFile(m)) {
            JsonObject existing = null;
            try {
                existing = readManifest(dir);
            } catch (SoupFormatException e) {
                LOG.warn("token store manifest {} is unreadable ({}): rebuilding", m, e.getMessage());
            }
            if (existing != null && fingerprint.equals(fingerprintOf(existing))) {
                LOG.info("reusing token store {}", dir);
                return new TokenStore(dir, existing, true);
            }
            LOG.info("token store {} is stale (corpus, tokenizer or options changed): rebuilding", dir);
        } else if (Files.exists(dir) && !isEmptyDirectory(dir)) {
            // Never replace a folder that is not a token store: it may be the user's data.
            throw new IllegalArgumentException(
                    dir + " exists and is not a token store (no " + MANIFEST + "); choose an empty or new directory");
        }
        build(dir, corpus, validation, tokenizer, options, fingerprint);
        return open(dir);
    }

    /** What a store records of the inputs it was built from; another value means another store. */
    private static String fingerprint(Corpus corpus, Corpus validation, Tokenizer tokenizer, Options options)
            throws IOException {
        return FORMAT + "|" + corpus.fingerprint() + "|" + tokenizer.id() + "|valid="
                + (validation == null ? options.validFraction() : "corpus(" + validation.fingerprint() + ")")
                + "|seed=" + options.seed() + "|labels=" + options.labelling()
                + "|order=" + options.domainOrder();
    }

    /**
     * Whether {@code dir} holds a store that {@link #openOrBuild(Path, Corpus, Corpus, Tokenizer,
     * Options)} with these inputs would reuse rather than rebuild (false when there is none, or
     * its manifest is unreadable). Reads the manifest only, not the token files.
     */
    public static boolean isCurrent(Path dir, Corpus corpus, Corpus validation, Tokenizer tokenizer, Options options)
            throws IOException {
        if (!Files.isRegularFile(dir.resolve(MANIFEST), LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        JsonObject existing;
        try {
            existing = readManifest(dir);
        } catch (SoupFormatException e) {
            return false;
        }
        return fingerprint(corpus, validation, tokenizer, options).equals(fingerprintOf(existing));
    }

    /** The manifest's fingerprint, or null when it has none or it is not a string ({@code null}, an object). */
    private static String fingerprintOf(JsonObject manifest) {
        JsonElement f = manifest.get("fingerprint");
        return f != null && f.isJsonPrimitive() && f.getAsJsonPrimitive().isString() ? f.getAsString() : null;
    }

    private static boolean isEmptyDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }

    /** Opens an existing store, verifying every token file. */
    public static TokenStore open(Path dir) throws IOException {
        return new TokenStore(dir, readManifest(dir), true);
    }

    private static JsonObject readManifest(Path dir) throws IOException {
        Path m = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(m, LinkOption.NOFOLLOW_LINKS)) {
            throw new SoupFormatException(dir + " is not a token store: it has no " + MANIFEST
                    + (Files.exists(m) ? " that is a regular file (links and special files are refused)" : ""));
        }
        if (Files.size(m) > ArtifactDirectory.MAX_MANIFEST_BYTES) {
            throw new SoupFormatException(m + " has " + Files.size(m) + " bytes, over the limit of "
                    + ArtifactDirectory.MAX_MANIFEST_BYTES + " for a manifest");
        }
        try {
            JsonObject o = StrictJson.readObject(m);
            String format = o.get("format").getAsString();
            if (!FORMAT.equals(format) && !SHARDED_FORMAT.equals(format)) {
                throw new SoupFormatException(
                        m + " has format " + o.get("format") + ", expected " + FORMAT + " or " + SHARDED_FORMAT);
            }
            return o;
        } catch (JsonParseException | IllegalStateException | NullPointerException | UnsupportedOperationException e) {
            throw new SoupFormatException(m + " is not a valid token-store manifest", e);
        }
    }

    private static void build(
            Path dir, Corpus corpus, Corpus validation, Tokenizer tok, Options opt, String fingerprint)
            throws IOException {
        long t0 = System.nanoTime();
        Path parent = dir.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        removeStaleLeftovers(parent, dir.getFileName().toString());
        Path tmp = parent.resolve(dir.getFileName() + ".tmp-" + UUID.randomUUID());
        Files.createDirectory(tmp);
        Files.writeString(tmp.resolve(BuildOwner.FILE), BuildOwner.current(), StandardCharsets.UTF_8);
        Map<String, ShardWriter[]> writers = new LinkedHashMap<>();
        OpenDomains open = new OpenDomains();
        List<String> order = opt.domainOrder();
        try {
            Split split = validation == null ? Split.BY_FRACTION : Split.TRAIN;
            corpus.forEach(doc -> open.touch(add(doc, opt, order, writers, tmp, tok, split)));
            if (writers.isEmpty()) {
                throw new IllegalArgumentException("the corpus has no documents");
            }
            if (validation != null) {
                validation.forEach(doc -> open.touch(add(doc, opt, order, writers, tmp, tok, Split.VALID)));
            }
            JsonObject m = manifest(writers, order, tok, opt, fingerprint, tmp);
            writeManifest(tmp, GSON.toJson(m));
            // Read back before it replaces anything: a manifest that open would refuse (over the
            // size limit, with ten million domain names) must not take a good store's place.
            try {
                readManifest(tmp);
            } catch (SoupFormatException e) {
                throw new SoupFormatException(
                        "the rebuilt token store for " + dir + " would not open, so " + dir + " is left as it was: "
                                + e.getMessage(),
                        e);
            }
            Files.delete(tmp.resolve(BuildOwner.FILE)); // the store itself does not keep it
            swap(tmp, dir);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        } finally {
            for (ShardWriter[] w : writers.values()) {
                closeQuietly(w[0]);
                closeQuietly(w[1]);
            }
            deleteRecursively(tmp);
        }
        LOG.info("built token store {} in {} s", dir, String.format("%.1f", (System.nanoTime() - t0) / 1e9));
    }

    /** Writes {@code manifest.json} into a folder and forces it to disk. */
    static void writeManifest(Path dir, String json) throws IOException {
        writeManifest(dir, json, MANIFEST);
    }

    /** Writes a manifest's text into {@code dir/name} and forces it to disk. */
    static void writeManifest(Path dir, String json, String name) throws IOException {
        Path manifestFile = dir.resolve(name);
        Files.writeString(manifestFile, json, StandardCharsets.UTF_8);
        try (FileChannel ch = FileChannel.open(manifestFile, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }

    private static void closeQuietly(ShardWriter w) {
        try {
            w.close();
        } catch (IOException ignored) {
            // the temporary directory is deleted anyway
        }
    }

    private static ShardWriter localShard(Path dir, String name, Tokenizer tok) {
        try {
            return ShardWriter.inFolder(dir, name, tok);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The domains whose shard files are open during a build, least recently written first: past
     * {@link #MAX}, the oldest is suspended (its files closed, reopened for appending at its next
     * document). Without the bound a corpus of 6,000 clusters needed 24,000 descriptors and 2.3 GB
     * of buffers.
     */
    private static final class OpenDomains extends LinkedHashMap<ShardWriter[], Boolean> {
        private static final long serialVersionUID = 1L;
        static final int MAX = 64;

        OpenDomains() {
            super(16, 0.75f, true);
        }

        void touch(ShardWriter[] w) {
            put(w, Boolean.TRUE);
        }

        @Override
        protected boolean removeEldestEntry(Map.Entry<ShardWriter[], Boolean> eldest) {
            if (size() <= MAX) {
                return false;
            }
            try {
                eldest.getKey()[0].suspend();
                eldest.getKey()[1].suspend();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return true;
        }
    }

    /** Which split a document goes to: by the held-out hash, or all to one split. */
    private enum Split {
        BY_FRACTION,
        TRAIN,
        VALID
    }

    /** Tokenizes one document into its domain's train or valid file (opened at the domain's first document). */
    private static ShardWriter[] add(
            Document doc,
            Options opt,
            List<String> order,
            Map<String, ShardWriter[]> writers,
            Path tmp,
            Tokenizer tok,
            Split split) {
        String domain = opt.domainOf().apply(doc);
        if (domain == null || domain.isBlank()) {
            throw new IllegalArgumentException(doc.source() + (doc.line() > 0 ? ":" + doc.line() : "")
                    + ": document has no domain; label the corpus or cluster it first");
        }
        if (order != null && !order.contains(domain)) {
            throw new IllegalArgumentException(doc.source() + (doc.line() > 0 ? ":" + doc.line() : "") + ": domain '"
                    + domain + "' is not in the declared domain order " + order);
        }
        if (split == Split.VALID && !writers.containsKey(domain)) {
            throw new IllegalArgumentException(doc.source() + (doc.line() > 0 ? ":" + doc.line() : "")
                    + ": a validation document of domain '" + domain + "', which the training corpus does not have");
        }
        ShardWriter[] w = writers.computeIfAbsent(domain, k -> {
            int i = writers.size();
            return new ShardWriter[] {localShard(tmp, "train-" + i, tok), localShard(tmp, "valid-" + i, tok)};
        });
        boolean valid = split == Split.BY_FRACTION
                ? heldOut(doc.text(), opt.validFraction(), opt.seed())
                : split == Split.VALID;
        try {
            (valid ? w[1] : w[0]).add(doc.text());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return w;
    }

    /** The store's manifest: each domain's two finished files, in the declared or sorted order. */
    private static JsonObject manifest(
            Map<String, ShardWriter[]> writers,
            List<String> order,
            Tokenizer tok,
            Options opt,
            String fingerprint,
            Path tmp)
            throws IOException {
        JsonArray ds = new JsonArray();
        List<String> names;
        if (order != null) {
            for (String name : order) {
                if (!writers.containsKey(name)) {
                    throw new IllegalArgumentException("declared domain '" + name + "' received no documents");
                }
            }
            names = order;
        } else {
            names = new ArrayList<>(writers.keySet());
            names.sort(null);
        }
        for (String name : names) {
            ShardWriter[] w = writers.get(name);
            JsonObject d = new JsonObject();
            d.addProperty("name", name);
            d.add("train", finish(w[0], tmp).toJson());
            d.add("valid", finish(w[1], tmp).toJson());
            ds.add(d);
        }
        JsonObject m = header(FORMAT, fingerprint, tok, opt.validFraction(), opt.seed());
        m.add("domains", ds);
        return m;
    }

    private static TokenShard finish(ShardWriter w, Path dir) throws IOException {
        TokenShard s = w.finish();
        for (String f : List.of(s.file(), s.index())) {
            try (FileChannel ch = FileChannel.open(dir.resolve(f), StandardOpenOption.WRITE)) {
                ch.force(true);
            }
        }
        return s;
    }

    /** The manifest's fields before its domains. */
    static JsonObject header(String format, String fingerprint, Tokenizer tok, double validFraction, long seed) {
        JsonObject m = new JsonObject();
        m.addProperty("format", format);
        m.addProperty("libraryVersion", Version.get());
        m.addProperty("createdAt", Instant.now().toString());
        m.addProperty("fingerprint", fingerprint);
        m.addProperty("tokenizer", tok.id());
        m.addProperty("vocabSize", tok.vocabSize());
        m.addProperty("bytesPerToken", ShardWriter.bytesPerToken(tok));
        m.addProperty("validFraction", validFraction);
        m.addProperty("seed", seed);
        return m;
    }

    /**
     * Whether a document goes to the validation split: a seeded hash of its text falls below the
     * fraction, so the split is the same whatever the reading order or the machine (a sharded
     * store written by many workers holds out exactly the documents a single-machine build would).
     */
    public static boolean heldOut(String text, double validFraction, long seed) {
        if (validFraction == 0) {
            return false;
        }
        long h = seed * 0x9E3779B97F4A7C15L + text.hashCode() * 0xBF58476D1CE4E5B9L + text.length();
        h ^= h >>> 31;
        h *= 0x94D049BB133111EBL;
        h ^= h >>> 29;
        return (h >>> 11) * 0x1.0p-53 < validFraction;
    }

    private static void swap(Path tmp, Path dir) throws IOException {
        Path old = dir.resolveSibling(dir.getFileName() + ".old-" + UUID.randomUUID());
        if (AtomicFile.replaceFolder(tmp, dir, old)) {
            deleteRecursively(old);
        }
    }

    /**
     * Removes what killed builds of this store left beside it: {@code <name>.tmp-<uuid>} (a build
     * in progress) and {@code <name>.old-<uuid>} (a replaced store not yet deleted). A build folder
     * that names its builder (process, start time, host) is removed as soon as that process is
     * gone from this host; any other only when nothing in it changed for {@link #STALE}, so that a
     * build running in another process, or on another machine sharing the folder, keeps its own.
     */
    static void removeStaleLeftovers(Path parent, String name) throws IOException {
        Pattern leftover = Pattern.compile(Pattern.quote(name) + "\\.(tmp|old)-[0-9a-f-]{36}");
        long cutoff = System.currentTimeMillis() - STALE.toMillis();
        try (Stream<Path> s = Files.list(parent)) {
            for (Path p : s.filter(
                            p -> leftover.matcher(p.getFileName().toString()).matches())
                    .toList()) {
                if (BuildOwner.isGone(p.resolve(BuildOwner.FILE))) {
                    LOG.info("removing {}, left by a build whose process is gone", p);
                    deleteRecursively(p);
                    continue;
                }
                long newest;
                try (Stream<Path> inside = Files.walk(p)) {
                    newest = inside.mapToLong(q -> {
                                try {
                                    return Files.getLastModifiedTime(q, LinkOption.NOFOLLOW_LINKS)
                                            .toMillis();
                                } catch (IOException e) {
                                    return Long.MAX_VALUE;
                                }
                            })
                            .max()
                            .orElse(Long.MAX_VALUE);
                }
                if (newest < cutoff) {
                    LOG.info("removing {}, left by a build that was killed", p);
                    deleteRecursively(p);
                }
            }
        }
    }

    private static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        }
    }

    public Path directory() {
        return dir;
    }

    /** The domains' names and training tokens, in the order of h. */
    public Domains domains() {
        return domainSet;
    }

    public String tokenizerId() {
        return manifest.get("tokenizer").getAsString();
    }

    public int vocabSize() {
        return manifest.get("vocabSize").getAsInt();
    }

    public long trainTokens(int d) {
        return train.get(d).tokens;
    }

    public long validTokens(int d) {
        return valid.get(d).tokens;
    }

    public long trainDocuments(int d) {
        return train.get(d).documents;
    }

    public long validDocuments(int d) {
        return valid.get(d).documents;
    }

    /** UTF-8 bytes of the text behind domain d's training tokens (documents and separators). */
    public long trainBytes(int d) {
        return train.get(d).textBytes;
    }

    /** UTF-8 bytes of the text behind domain d's validation tokens (for bits per byte). */
    public long validBytes(int d) {
        return valid.get(d).textBytes;
    }

    /** The tokens of document i of domain d, from the validation split or the training split. */
    public int[] document(int d, boolean validation, int i) {
        TokenSplit f = (validation ? valid : train).get(d);
        if (i < 0 || i >= f.documents) {
            throw new IndexOutOfBoundsException("document " + i + " outside [0, " + f.documents + ") of domain '"
                    + domains.get(d) + "' (" + (validation ? "validation" : "training") + ")");
        }
        long[] range = f.documentRange(i);
        int[] out = new int[Math.toIntExact(range[1] - range[0])];
        f.copy(range[0], out, 0, out.length);
        return out;
    }

    /** Tokens {@code [start, start+len)} of domain d's validation split. */
    public int[] readValid(int d, long start, int len) {
        int[] out = new int[len];
        valid.get(d).copy(start, out, 0, len);
        return out;
    }

    /** Samples training windows (Algorithm 1) from the mapped training files. */
    public WindowSampler trainSampler() {
        return new Mapped(domains, train, "train");
    }

    /** Samples windows of the held-out validation documents. */
    public WindowSampler validSampler() {
        return new Mapped(domains, valid, "valid");
    }

    private final class Mapped extends WindowSampler {
        private final List<TokenSplit> files;
        private final String split;

        Mapped(List<String> names, List<TokenSplit> files, String split) {
            super(names);
            this.files = files;
            this.split = split;
        }

        @Override
        protected long size(int d) {
            return files.get(d).tokens;
        }

        @Override
        protected void copy(int d, long start, int[] dst, int off, int len) {
            files.get(d).copy(start, dst, off, len);
        }

        @Override
        public String fingerprint() {
            return "token-store(" + split + ", " + manifest.get("fingerprint").getAsString() + ")";
        }
    }
}
