package com.example;

import java.nio.file.Files;
import java.nio.file.Path;
import org.soupofexperts.data.corpus.JsonlCorpus;
import org.soupofexperts.data.tokenize.HuggingFaceTokenizer;

/**
 * This project does not add soe-data's optional dependencies (zstd-jni, tokenizers): a feature
 * that needs one must say which, rather than fail with a NoClassDefFoundError.
 */
public class OptionalDependencies {
    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("optional");
        Path zst = Files.write(dir.resolve("train.jsonl.zst"), new byte[] {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd});
        expect(
                "com.github.luben:zstd-jni",
                () -> JsonlCorpus.builder().file(zst).build().forEach(d -> {}));
        Path tokenizer = Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": {\"vocab\": {\"a\": 0}}}");
        expect("ai.djl.huggingface:tokenizers", () -> HuggingFaceTokenizer.load(tokenizer));
    }

    interface Call {
        void run() throws Exception;
    }

    private static void expect(String dependency, Call call) throws Exception {
        try {
            call.run();
        } catch (RuntimeException e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (String.valueOf(t.getMessage()).contains(dependency)) {
                    System.out.println("names the missing dependency: " + t.getMessage());
                    return;
                }
            }
            throw e;
        }
        throw new IllegalStateException("expected an error naming " + dependency);
    }
}
