package org.soupofexperts.data.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.soupofexperts.core.batch.TokenBatch;
import org.soupofexperts.core.io.SoupFormatException;
import org.soupofexperts.data.corpus.Corpus;
import org.soupofexperts.data.corpus.Document;
import org.soupofexperts.data.corpus.JsonlCorpus;
import org.soupofexperts.data.tokenize.ByteTokenizer;

class TokenStoreTest {

    @TempDir
    Path tmp;

    private Path corpus(int docsPerDomain) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < docsPerDomain; i++) {
            sb.append("{\"text\": \"law document ")
                    .append(i)
                    .append(" with some words\", \"meta\": {\"pile_set_name\": \"law\"}}\n");
            sb.append("{\"text\": \"code ")
                    .append(i)
                    .append("; int x = ")
                    .append(i)
                    .append(";\", \"meta\": {\"pile_set_name\": \"code\"}}\n");
        }
        Path p = tmp.resolve("corpus.jsonl");
        Files.writeString(p, sb.toString());
        return p;
    }

    @Test
    void textRoundTripsThroughTheStoreAndTheSplitHoldsOutWholeDocuments() throws IOException {
        Path src = corpus(200);
        TokenStore s = TokenStore.openOrBuild(
                tmp.resolve("store"),
                JsonlCorpus.builder().file(src).build(),
                new ByteTokenizer(),
                TokenStore.Options.defaults().withValidation(0.1, 3));
        assertEquals(List.of("code", "law"), s.domains().names(), "domains are ordered by name");
        long docs = s.trainDocuments(1) + s.validDocuments(1);
        assertEquals(200, docs);
        assertTrue(s.validDocuments(1) > 5 && s.validDocuments(1) < 40, "about 10% held out: " + s.validDocuments(1));
        // Validation text is whole documents separated by blank lines.
        String valid = new ByteTokenizer().decode(s.readValid(1, 0, (int) s.validTokens(1)));
        for (String doc : valid.split("\n\n")) {
            assertTrue(doc.matches("law document \\d+ with some words"), doc);
        }
        TokenBatch b = s.trainSampler().sample(new double[] {0, 1}, 4, 8, new SplittableRandom(1));
        for (int t : b.tokens()) {
            assertTrue(t >= 0 && t < 256);
        }
    }

    @Test
    void aStoreIsCurrentOnlyForTheInputsItWasBuiltFrom() throws IOException {
        Path src = corpus(20);
        JsonlCorpus c = JsonlCorpus.builder().file(src).build();
        Path dir = tmp.resolve("store");
        TokenStore.Options tenth = TokenStore.Options.defaults().withValidation(0.1, 3);
        assertFalse(TokenStore.isCurrent(dir, c, null, new ByteTokenizer(), tenth), "no store yet");
        TokenStore.openOrBuild(dir, c, new ByteTokenizer(), tenth);
        assertTrue(TokenStore.isCurrent(dir, c, null, new ByteTokenizer(), tenth));
        assertFalse(TokenStore.isCurrent(
                dir, c, null, new ByteTokenizer(), TokenStore.Options.defaults().withValidation(0.2, 3)));
        assertFalse(TokenStore.isCurrent(dir, c, c, new ByteTokenizer(), tenth), "a validation corpus");
        // A manifest whose fingerprint is null or an object is stale, not an UnsupportedOperationException.
        Path manifest = dir.resolve("manifest.json");
        for (String forged : new String[] {"null", "{}"}) {
            JsonObject m = JsonParser.parseString(Files.readString(manifest)).getAsJsonObject();
            m.add("fingerprint", JsonParser.parseString(forged));
            Files.writeString(manifest, m.toString());
            assertFalse(TokenStore.isCurrent(dir, c, null, new ByteTokenizer(), tenth), forged);
            TokenStore.openOrBuild(dir, c, new ByteTokenizer(), tenth); // rebuilt
            assertTrue(TokenStore.isCurrent(dir, c, null, new ByteTokenizer(), tenth), forged);
        }
    }

    @Test
    void aRebuildWhoseManifestCannotBeReadBackLeavesTheGoodStoreInPlace() throws IOException {
        JsonlCorpus good = JsonlCorpus.builder().file(corpus(20)).build();
        Path dir = tmp.resolve("store");
        TokenStore.Options options = TokenStore.Options.defaults().withValidation(0.1, 3);
        TokenStore.openOrBuild(dir, good, new ByteTokenizer(), options);
        // A domain name of 12 M '<': Gson writes each as \u003c, a 72 MB manifest, over the 64 MiB
        // any reader takes. It used to replace the good store, then fail to open.
        Corpus huge = Corpus.of("notes", List.of("some text to store")).labelledAs("<".repeat(12_000_000));
        assertThrows(SoupFormatException.class, () -> TokenStore.openOrBuild(dir, huge, new ByteTokenizer(), options));
        assertTrue(
                TokenStore.isCurrent(dir, good, null, new ByteTokenizer(), options), "the good store is still there");
        assertEquals(List.of("code", "law"), TokenStore.open(dir).domains().names());
    }

    @Test
    void aValidationCorpusIsTheWholeValidationSplitAndNeedsTheTrainingDomains() throws IOException {
        Path train = corpus(50);
        Path valid = tmp.resolve("valid.jsonl");
        Files.writeString(
                valid,
                "{\"text\": \"held law\", \"meta\": {\"pile_set_name\": \"law\"}}\n"
                        + "{\"text\": \"held code;\", \"meta\": {\"pile_set_name\": \"code\"}}\n"
                        + "{\"text\": \"more held law\", \"meta\": {\"pile_set_name\": \"law\"}}\n");
        TokenStore s = TokenStore.openOrBuild(
                tmp.resolve("store"),
                JsonlCorpus.builder().file(train).build(),
                JsonlCorpus.builder().file(valid).build(),
                new ByteTokenizer(),
                TokenStore.Options.defaults());
        assertEquals(50, s.trainDocuments(0), "no training document is held out");
        assertEquals(50, s.trainDocuments(1));
        assertEquals(1, s.validDocuments(0));
        assertEquals(2, s.validDocuments(1));
        assertEquals(
                "held law\n\nmore held law", new ByteTokenizer().decode(s.readValid(1, 0, (int) s.validTokens(1))));
        Path foreign = tmp.resolve("foreign.jsonl");
        Files.writeString(foreign, "{\"text\": \"x\", \"meta\": {\"pile_set_name\": \"poetry\"}}\n");
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> TokenStore.openOrBuild(
                        tmp.resolve("store2"),
                        JsonlCorpus.builder().file(train).build(),
                        JsonlCorpus.builder().file(foreign).build(),
                        new ByteTokenizer(),
                        TokenStore.Options.defaults()));
        assertTrue(e.getMessage().contains("domain 'poetry', which the training corpus does not have"), e.getMessage());
    }

    /**
     * A corpus of 600 domains whose documents come round-robin (every document in another domain
     * than the last) builds with a bounded number of open files, and every document reads back
     * whole from its domain: the writers of the least recently written domains are suspended and
     * reopened for appending. Unbounded, the build held four descriptors per domain (2,400 here;
     * 6,000 clusters exhausted the process's 20,000).
     */
    @Test
    void aCorpusOfManyDomainsBuildsWithBoundedOpenFilesAndReadsBackWhole() throws IOException {
        Path fds = Path.of("/proc/self/fd");
        Assumptions.assumeTrue(Files.isDirectory(fds), "needs /proc/self/fd");
        int domains = 600;
        int perDomain = 3;
        int[] maxOpen = {0};
        Corpus interleaved = new Corpus() {
            @Override
            public void forEach(Consumer<Document> sink) throws IOException {
                for (int i = 0; i < perDomain; i++) {
                    for (int d = 0; d < domains; d++) {
                        sink.accept(new Document("doc " + i + " of domain " + d, "d" + (1000 + d), "mem", 0));
                        if (d % 50 == 0) {
                            try (var list = Files.list(fds)) {
                                maxOpen[0] = Math.max(maxOpen[0], (int) list.count());
                            }
                        }
                    }
                }
            }

            @Override
            public String fingerprint() {
                return "interleaved-600";
            }
        };
        long before;
        try (var list = Files.list(fds)) {
            before = list.count();
        }
        TokenStore s = TokenStore.openOrBuild(
                tmp.resolve("many"),
                interleaved,
                new ByteTokenizer(),
                TokenStore.Options.defaults().withValidation(0, 1));
        assertTrue(maxOpen[0] - before < 400, "open files during the build: " + maxOpen[0] + ", before: " + before);
        assertEquals(domains, s.domains().count());
        ByteTokenizer tok = new ByteTokenizer();
        for (int d : new int[] {0, 1, 299, 599}) {
            assertEquals(perDomain, s.trainDocuments(d));
            for (int i = 0; i < perDomain; i++) {
                assertEquals("doc " + i + " of domain " + d, tok.decode(s.document(d, false, i)), "domain " + d);
            }
        }
    }

    /**
     * Folders left by killed builds ({@code <name>.tmp-<uuid>}, {@code <name>.old-<uuid>}) are
     * removed by the next build once untouched for ten minutes; a fresh one (a build running
     * elsewhere) and other folders are kept.
     */
    @Test
    void aBuildRemovesStaleLeftoversOfKilledBuildsAndKeepsFreshOnes() throws IOException {
        Path src = corpus(20);
        Path dir = tmp.resolve("store");
        Path stale = Files.createDirectories(tmp.resolve("store.tmp-0b7f4a52-1f3e-4b8e-9a7c-2d5e8f1a3b6c"));
        Path staleOld = Files.createDirectories(tmp.resolve("store.old-1b7f4a52-1f3e-4b8e-9a7c-2d5e8f1a3b6c"));
        Path fresh = Files.createDirectories(tmp.resolve("store.tmp-2b7f4a52-1f3e-4b8e-9a7c-2d5e8f1a3b6c"));
        Path foreign = Files.createDirectories(tmp.resolve("other.tmp-3b7f4a52-1f3e-4b8e-9a7c-2d5e8f1a3b6c"));
        Path leftoverFile = Files.writeString(stale.resolve("tokens.bin"), "partial");
        FileTime old = FileTime.fromMillis(
                System.currentTimeMillis() - Duration.ofMinutes(11).toMillis());
        for (Path p : List.of(leftoverFile, stale, staleOld, foreign)) {
            Files.setLastModifiedTime(p, old);
        }
        TokenStore.openOrBuild(
                dir, JsonlCorpus.builder().file(src).build(), new ByteTokenizer(), TokenStore.Options.defaults());
        assertFalse(Files.exists(stale), "a stale .tmp- folder of this store must go");
        assertFalse(Files.exists(staleOld), "a stale .old- folder of this store must go");
        assertTrue(Files.exists(fresh), "a folder touched within ten minutes may belong to a running build");
        assertTrue(Files.exists(foreign), "another store's folders are not this build's business");
        assertFalse(Files.exists(dir.resolve(BuildOwner.FILE)), "the store keeps no builder file");
    }

    /** A folder whose builder process is gone goes at once, however fresh; a live builder's stays. */
    @Test
    void aBuildFolderOfAKilledProcessIsRemovedAtOnceAndALiveBuildersIsKept() throws Exception {
        Path src = corpus(20);
        Path dir = tmp.resolve("store2");
        Process child = new ProcessBuilder(
                        ProcessHandle.current().info().command().orElse("java"), "-version")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        ProcessHandle handle = child.toHandle();
        String started = handle.info().startInstant().map(Object::toString).orElse("-");
        child.waitFor();
        String[] me = BuildOwner.current().trim().split(" ");
        Path killed = Files.createDirectories(tmp.resolve("store2.tmp-4b7f4a52-1f3e-4b8e-9a7c-2d5e8f1a3b6c"));
        Files.writeString(killed.resolve(BuildOwner.FILE), handle.pid() + " " + started + " " + me[2] + "\n");
        Files.writeString(killed.resolve("tokens.bin"), "partial");
        Path live = Files.createDirectories(tmp.resolve("store2.tmp-5b7f4a52-1f3e-4b8e-9a7c-2d5e8f1a3b6c"));
        Files.writeString(live.resolve(BuildOwner.FILE), BuildOwner.current());
        Path elsewhere = Files.createDirectories(tmp.resolve("store2.tmp-6b7f4a52-1f3e-4b8e-9a7c-2d5e8f1a3b6c"));
        Files.writeString(elsewhere.resolve(BuildOwner.FILE), handle.pid() + " " + started + " another-host\n");
        TokenStore.openOrBuild(
                dir, JsonlCorpus.builder().file(src).build(), new ByteTokenizer(), TokenStore.Options.defaults());
        assertFalse(Files.exists(killed), "the folder of a build whose process ended must go at once");
        assertTrue(Files.exists(live), "a running builder's folder stays");
        assertTrue(Files.exists(elsewhere), "another host's process cannot be checked here: the age rule decides");
    }

    @Test
    void aStoreIsReusedWhileItsInputIsUnchangedAndRebuiltWhenItChanges() throws IOException, InterruptedException {
        Path src = corpus(20);
        Path dir = tmp.resolve("store");
        TokenStore.openOrBuild(
                dir, JsonlCorpus.builder().file(src).build(), new ByteTokenizer(), TokenStore.Options.defaults());
        String first = Files.readString(dir.resolve("manifest.json"));
        TokenStore.openOrBuild(
                dir, JsonlCorpus.builder().file(src).build(), new ByteTokenizer(), TokenStore.Options.defaults());
        assertEquals(first, Files.readString(dir.resolve("manifest.json")), "an unchanged input must reuse the store");
        Files.writeString(
                src, Files.readString(src) + "{\"text\": \"new law\", \"meta\": {\"pile_set_name\": \"law\"}}\n");
        TokenStore again = TokenStore.openOrBuild(
                dir, JsonlCorpus.builder().file(src).build(), new ByteTokenizer(), TokenStore.Options.defaults());
        assertNotEquals(first, Files.readString(dir.resolve("manifest.json")));
        assertEquals(21, again.trainDocuments(1) + again.validDocuments(1));
        try (var files = Files.list(tmp)) {
            assertEquals(2, files.count(), "no temporary or old directories remain");
        }
    }

    @Test
    void aCorruptOrTruncatedTokenFileIsDetected() throws IOException {
        Path dir = tmp.resolve("store");
        TokenStore.openOrBuild(
                dir,
                JsonlCorpus.builder().file(corpus(20)).build(),
                new ByteTokenizer(),
                TokenStore.Options.defaults());
        Path f = dir.resolve("train-0.tok");
        byte[] b = Files.readAllBytes(f);
        b[5] ^= 1;
        Files.write(f, b);
        assertTrue(assertThrows(SoupFormatException.class, () -> TokenStore.open(dir))
                .getMessage()
                .contains("is corrupt"));
        Files.write(f, Arrays.copyOf(b, b.length - 2));
        assertTrue(assertThrows(SoupFormatException.class, () -> TokenStore.open(dir))
                .getMessage()
                .contains("truncated"));
        assertTrue(assertThrows(SoupFormatException.class, () -> TokenStore.open(tmp))
                .getMessage()
                .contains("not a token store"));
    }

    /**
     * A forged manifest naming a file outside the store (with matching size and checksum, so
     * only the path gives it away) must not make training read that file.
     */
    @Test
    void aManifestNamingAFileOutsideTheStoreIsRefused() throws IOException {
        Path dir = tmp.resolve("store");
        TokenStore.openOrBuild(
                dir,
                JsonlCorpus.builder().file(corpus(20)).build(),
                new ByteTokenizer(),
                TokenStore.Options.defaults());
        Path outside = Files.copy(dir.resolve("train-0.tok"), tmp.resolve("outside.tok"));
        Path manifest = dir.resolve("manifest.json");
        String original = Files.readString(manifest);
        for (String forged : new String[] {"../outside.tok", outside.toString(), ".hidden.tok", ""}) {
            Files.writeString(manifest, original.replace("\"train-0.tok\"", "\"" + forged + "\""));
            SoupFormatException e = assertThrows(SoupFormatException.class, () -> TokenStore.open(dir), forged);
            assertTrue(e.getMessage().contains("not a file inside the store"), e.getMessage());
        }
        Files.writeString(manifest, original);
        TokenStore.open(dir);
    }

    @Test
    void aFolderThatIsNotATokenStoreIsNeverReplaced() throws IOException {
        Path precious = Files.createDirectories(tmp.resolve("my-data"));
        Files.writeString(precious.resolve("notes.txt"), "keep me");
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> TokenStore.openOrBuild(
                        precious,
                        JsonlCorpus.builder().file(corpus(3)).build(),
                        new ByteTokenizer(),
                        TokenStore.Options.defaults()));
        assertTrue(e.getMessage().contains("exists and is not a token store"), e.getMessage());
        assertEquals("keep me", Files.readString(precious.resolve("notes.txt")));
    }

    @Test
    void aDeclaredDomainOrderIsKeptAndForeignLabelsAreRejected() throws IOException {
        Path src = corpus(5);
        TokenStore s = TokenStore.openOrBuild(
                tmp.resolve("o"),
                JsonlCorpus.builder().file(src).build(),
                new ByteTokenizer(),
                new TokenStore.Options(0, 0, d -> d.domain(), "labels", List.of("law", "code")));
        assertEquals(List.of("law", "code"), s.domains().names());
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> TokenStore.openOrBuild(
                        tmp.resolve("p"),
                        JsonlCorpus.builder().file(src).build(),
                        new ByteTokenizer(),
                        new TokenStore.Options(0, 0, d -> d.domain(), "labels", List.of("law"))));
        assertTrue(e.getMessage().contains("domain 'code' is not in the declared domain order"), e.getMessage());
    }

    @Test
    void unlabelledDocumentsNeedADomainFunction() throws IOException {
        Path src = corpus(5);
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> TokenStore.openOrBuild(
                        tmp.resolve("s"),
                        JsonlCorpus.builder().file(src).unlabelled().build(),
                        new ByteTokenizer(),
                        TokenStore.Options.defaults()));
        assertTrue(e.getMessage().contains("corpus.jsonl:1: document has no domain"), e.getMessage());
        assertTrue(Files.notExists(tmp.resolve("s")), "a failed build leaves nothing under the store's name");
    }
}
