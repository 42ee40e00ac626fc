package org.soupofexperts.data.tokenize;

import java.nio.charset.StandardCharsets;

/**
 * UTF-8 bytes as tokens (vocabulary 256): needs no files and never fails on any text; decoding
 * replaces invalid byte sequences with U+FFFD. Stateless and thread-safe.
 */
public final class ByteTokenizer implements Tokenizer {

    @Override
    public int vocabSize() {
        return 256;
    }

    @Override
    public int[] encode(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[b.length];
        for (int i = 0; i < b.length; i++) {
            ids[i] = b[i] & 0xff;
        }
        return ids;
    }

    @Override
    public String decode(int[] ids) {
        byte[] b = new byte[ids.length];
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] > 255) {
                throw new IllegalArgumentException(
                        "byte token " + ids[i] + " at position " + i + " is not in [0, 255]");
            }
            b[i] = (byte) ids[i];
        }
        return new String(b, StandardCharsets.UTF_8);
    }

    @Override
    public String id() {
        return "bytes-utf8";
    }
}
