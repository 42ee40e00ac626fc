package org.soupofexperts.data.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.luben.zstd.ZstdOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.soupofexperts.core.io.SoupFormatException;

class JsonlCorpusTest {

    @TempDir
    Path tmp;

    static final String LINES = "{\"text\": \"alpha\", \"meta\": {\"pile_set_name\": \"a\"}}\n"
            + "{\"text\": \"beta \\u00e9\", \"meta\": {\"pile_set_name\": \"b\"}}\n";

    private static List<Document> read(Corpus c) throws IOException {
        List<Document> out = new ArrayList<>();
        c.forEach(out::add);
        return out;
    }

    @Test
    void forEachWhileStopsReadingWhenTheSinkSaysSo() throws IOException {
        // The third line is malformed: reading it would throw, so stopping after two proves the
        // rest of the file is not read.
        Path f = Files.writeString(tmp.resolve("stop.jsonl"), LINES + "{not json\n");
        List<String> two = new ArrayList<>();
        JsonlCorpus c = JsonlCorpus.builder().file(f).build();
        c.forEachWhile(d -> {
            two.add(d.text());
            return two.size() < 2;
        });
        assertEquals(List.of("alpha", "beta \u00e9"), two);
        assertThrows(IllegalArgumentException.class, () -> c.forEach(d -> {}));
        // The same through a relabelling wrapper, and through Corpus's default for other corpora.
        List<Document> first = new ArrayList<>();
        c.labelledAs("all").forEachWhile(d -> !first.add(d));
        assertEquals("all", first.get(0).domain());
        assertEquals(1, first.size());
        Corpus other = new Corpus() {
            @Override
            public void forEach(Consumer<Document> sink) throws IOException {
                c.forEach(sink);
            }

            @Override
            public String fingerprint() {
                return "other";
            }
        };
        List<String> viaDefault = new ArrayList<>();
        other.forEachWhile(d -> viaDefault.add(d.text()) && viaDefault.size() < 2);
        assertEquals(two, viaDefault);
    }

    @Test
    void plainGzipAndZstdFilesReadTheSame() throws IOException {
        Path plain = tmp.resolve("x.jsonl");
        Files.writeString(plain, LINES);
        Path gz = tmp.resolve("x.jsonl.gz");
        try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(gz))) {
            o.write(LINES.getBytes(StandardCharsets.UTF_8));
        }
        Path zst = tmp.resolve("x.jsonl.zst");
        try (OutputStream o = new ZstdOutputStream(Files.newOutputStream(zst))) {
            o.write(LINES.getBytes(StandardCharsets.UTF_8));
        }
        for (Path p : List.of(plain, gz, zst)) {
            List<Document> docs = read(JsonlCorpus.builder().file(p).build());
            assertEquals(2, docs.size(), p.toString());
            assertEquals("beta é", docs.get(1).text());
            assertEquals("b", docs.get(1).domain());
            assertEquals(2, docs.get(1).line());
        }
    }

    @Test
    void customDomainFieldAndUnlabelledCorpora() throws IOException {
        Path p = tmp.resolve("y.jsonl");
        Files.writeString(p, "{\"body\": \"x\", \"src\": {\"kind\": \"law\"}}\n");
        Document d = read(JsonlCorpus.builder()
                        .file(p)
                        .textField("body")
                        .domainField("src.kind")
                        .build())
                .get(0);
        assertEquals("law", d.domain());
        assertNull(read(JsonlCorpus.builder()
                        .file(p)
                        .textField("body")
                        .unlabelled()
                        .build())
                .get(0)
                .domain());
    }

    @Test
    void aLineLongerThanTheBoundIsABadLineReadPastWithoutBeingHeld() throws IOException {
        // A small gzip that decompresses to 20 Mi characters without a newline: once read whole.
        Path bomb = tmp.resolve("bomb.jsonl.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(bomb))) {
            byte[] a = "a".repeat(1 << 16).getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < 320; i++) {
                out.write(a);
            }
            out.write(("\n" + LINES).getBytes(StandardCharsets.UTF_8));
        }
        assertTrue(Files.size(bomb) < 100_000, "a small file: " + Files.size(bomb));
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> read(JsonlCorpus.builder().file(bomb).build()));
        assertTrue(e.getMessage().contains("bomb.jsonl.gz:1: a line longer than 16777216 characters"), e.getMessage());
        JsonlCorpus skipping =
                JsonlCorpus.builder().file(bomb).skipBadLines(true).build();
        List<Document> after = read(skipping);
        assertEquals(
                List.of("alpha", "beta \u00e9"),
                after.stream().map(Document::text).toList());
        assertEquals(1, skipping.skippedLines());
        assertEquals(2, after.get(0).line(), "line numbers count the long line");

        // The bound is the builder's; CRLF line ends read as LF ones.
        Path crlf = tmp.resolve("crlf.jsonl");
        Files.writeString(crlf, LINES.replace("\n", "\r\n") + "{\"text\": \"" + "x".repeat(200) + "\"}\r\n");
        JsonlCorpus small = JsonlCorpus.builder()
                .file(crlf)
                .maxLineCharacters(100)
                .skipBadLines(true)
                .build();
        assertEquals(
                List.of("alpha", "beta \u00e9"),
                read(small).stream().map(Document::text).toList());
        assertEquals(1, small.skippedLines());
    }

    @Test
    void aDamagedCompressedFileIsBadInputNamingTheFile() throws IOException {
        Path gz = Files.writeString(tmp.resolve("notgzip.jsonl.gz"), LINES);
        SoupFormatException e = assertThrows(
                SoupFormatException.class,
                () -> read(JsonlCorpus.builder().file(gz).build()));
        assertTrue(
                e.getMessage().contains("notgzip.jsonl.gz is damaged or not in the format its name says"),
                e.getMessage());
        Path zst = Files.writeString(tmp.resolve("notzstd.jsonl.zst"), LINES);
        e = assertThrows(
                SoupFormatException.class,
                () -> read(JsonlCorpus.builder().file(zst).build()));
        assertTrue(e.getMessage().contains("notzstd.jsonl.zst is damaged"), e.getMessage());
    }

    @Test
    void malformedLinesNameFileAndLineOrAreSkippedAndCounted() throws IOException {
        Path p = tmp.resolve("bad.jsonl");
        Files.writeString(p, LINES + "{not json\n{\"text\": \"no domain\"}\n{\"meta\": {}}\n" + LINES);
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> read(JsonlCorpus.builder().file(p).build()));
        assertTrue(e.getMessage().contains("bad.jsonl:3: malformed JSON"), e.getMessage());
        JsonlCorpus skipping = JsonlCorpus.builder().file(p).skipBadLines(true).build();
        assertEquals(4, read(skipping).size());
        assertEquals(3, skipping.skippedLines());

        Path noDomain = tmp.resolve("nd.jsonl");
        Files.writeString(noDomain, "{\"text\": \"t\", \"meta\": {\"pile_set_name\": \"\"}}\n");
        assertTrue(assertThrows(
                        IllegalArgumentException.class,
                        () -> read(JsonlCorpus.builder().file(noDomain).build()))
                .getMessage()
                .contains("nd.jsonl:1: missing or empty domain field 'meta.pile_set_name'"));
        Path noText = tmp.resolve("nt.jsonl");
        Files.writeString(noText, "{\"meta\": {\"pile_set_name\": \"a\"}}\n");
        assertTrue(assertThrows(
                        IllegalArgumentException.class,
                        () -> read(JsonlCorpus.builder().file(noText).build()))
                .getMessage()
                .contains("nt.jsonl:1: missing text field 'text'"));
    }

    @Test
    void directoryCorpusLabelsDocumentsByTheirFolder() throws IOException {
        Files.createDirectories(tmp.resolve("c/law"));
        Files.createDirectories(tmp.resolve("c/code"));
        Files.writeString(tmp.resolve("c/law/1.txt"), "statute");
        Files.writeString(tmp.resolve("c/code/1.txt"), "int main");
        List<Document> docs = read(new DirectoryCorpus(tmp.resolve("c")));
        assertEquals(List.of("code", "law"), docs.stream().map(Document::domain).toList());
        assertEquals("statute", docs.get(1).text());
        assertThrows(IllegalArgumentException.class, () -> new DirectoryCorpus(tmp.resolve("missing")));
    }

    @Test
    void aDirectoryCorpusRefusesADecompressionBombAndADamagedFileNamingThem() throws IOException {
        Files.createDirectories(tmp.resolve("d/law"));
        // 65 MiB of zeros in about 65 KB of gzip: past the 64 MiB a document may hold.
        Path bomb = tmp.resolve("d/law/bomb.txt.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(bomb))) {
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < 65; i++) {
                out.write(zeros);
            }
        }
        SoupFormatException e =
                assertThrows(SoupFormatException.class, () -> read(new DirectoryCorpus(tmp.resolve("d"))));
        assertTrue(e.getMessage().contains(bomb + " holds more than 64 MiB"), e.getMessage());
        Files.delete(bomb);
        Path damaged = tmp.resolve("d/law/damaged.txt.gz");
        Files.write(damaged, new byte[] {0x1f, (byte) 0x8b, 8, 0, 1, 2});
        e = assertThrows(SoupFormatException.class, () -> read(new DirectoryCorpus(tmp.resolve("d"))));
        assertTrue(e.getMessage().contains(damaged + " is damaged"), e.getMessage());
    }
}
