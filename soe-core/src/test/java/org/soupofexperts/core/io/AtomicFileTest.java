package org.soupofexperts.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One way to write a small file whole: unique temporaries, so concurrent writers never share one. */
class AtomicFileTest {

    @TempDir
    Path dir;

    @Test
    void concurrentWritersLeaveOneWholeVersionAndNoTemporaries() throws Exception {
        Path file = dir.resolve("report.md");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> done = new ArrayList<>();
        for (int w = 0; w < 8; w++) {
            String text = ("writer " + w + "\n").repeat(20_000);
            done.add(pool.submit(() -> {
                for (int i = 0; i < 10; i++) {
                    AtomicFile.write(file, text);
                }
                return null;
            }));
        }
        for (Future<?> f : done) {
            f.get(); // a shared temporary name made a writer fail here (NoSuchFileException on the rename)
        }
        pool.shutdown();
        String content = Files.readString(file);
        String first = content.substring(0, content.indexOf('\n') + 1);
        assertEquals(first.repeat(20_000), content, "one writer's whole text");
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(file), s.toList(), "no temporary file is left");
        }
    }

    @Test
    void aWriteThatCannotCompleteLeavesTheOldContent() throws IOException {
        Path file = dir.resolve("kept.txt");
        AtomicFile.write(file, "old");
        // A folder where the file should be: the rename fails, the old content stays.
        Path blocked = dir.resolve("blocked");
        Files.createDirectories(blocked.resolve("inside"));
        assertThrows(IOException.class, () -> AtomicFile.write(blocked, "new"));
        assertEquals("old", Files.readString(file));
        try (Stream<Path> s = Files.list(dir)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")));
        }
    }

    @Test
    void replaceFolderPutsTheOldFolderAsideWholeAndTheNewOneInPlace() throws IOException {
        Path target = dir.resolve("store");
        Path fresh = Files.createDirectory(dir.resolve(".store.tmp"));
        Files.writeString(fresh.resolve("a"), "first");
        assertTrue(!AtomicFile.replaceFolder(fresh, target, dir.resolve(".store.old")), "no old folder the first time");
        assertEquals("first", Files.readString(target.resolve("a")));
        Path second = Files.createDirectory(dir.resolve(".store.tmp2"));
        Files.writeString(second.resolve("a"), "second");
        Path aside = dir.resolve(".store.old");
        assertTrue(AtomicFile.replaceFolder(second, target, aside));
        assertEquals("second", Files.readString(target.resolve("a")));
        assertEquals("first", Files.readString(aside.resolve("a")), "the old folder is kept whole for the caller");
        assertTrue(!Files.exists(second));
    }

    @Test
    void aStreamedWriteFailingMidwayLeavesTheOldFileAndNoTemporary() throws IOException {
        Path file = dir.resolve("weights.bin");
        AtomicFile.write(file, "old");
        assertThrows(
                IOException.class,
                () -> AtomicFile.write(file, out -> {
                    out.write(new byte[] {1, 2, 3});
                    throw new IOException("disk full");
                }));
        assertEquals("old", Files.readString(file));
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(List.of(file), left.toList());
        }
    }
}
