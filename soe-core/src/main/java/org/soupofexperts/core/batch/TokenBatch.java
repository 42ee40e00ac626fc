package org.soupofexperts.core.batch;

import java.util.Arrays;

/**
 * A batch of token sequences, row-major: sequence i is {@code tokens[i*length .. (i+1)*length)}.
 * For training, {@code length} is the context length plus one (inputs and shifted targets).
 * Immutable by convention: do not modify the array after construction.
 *
 * @param batchSize number of sequences
 * @param length tokens per sequence
 * @param tokens the token ids
 * @param domains the domain each sequence was drawn from, or null when not known
 */
public record TokenBatch(int batchSize, int length, int[] tokens, int[] domains) {

    public TokenBatch {
        if (batchSize < 1 || length < 1) {
            throw new IllegalArgumentException(
                    "batch needs batchSize >= 1 and length >= 1, got " + batchSize + " x " + length);
        }
        if (tokens == null || tokens.length != (long) batchSize * length) {
            throw new IllegalArgumentException("batch of " + batchSize + " x " + length + " needs "
                    + ((long) batchSize * length) + " tokens, got " + (tokens == null ? "null" : tokens.length));
        }
        if (domains != null && domains.length != batchSize) {
            throw new IllegalArgumentException(
                    "batch has " + batchSize + " sequences but " + domains.length + " domain labels");
        }
    }

    /** Builds a batch from equal-length rows. */
    public static TokenBatch of(int[][] rows) {
        if (rows == null || rows.length == 0) {
            throw new IllegalArgumentException("a batch needs at least one sequence");
        }
        int len = rows[0].length;
        int[] flat = new int[rows.length * len];
        for (int i = 0; i < rows.length; i++) {
            if (rows[i].length != len) {
                throw new IllegalArgumentException(
                        "sequence " + i + " has length " + rows[i].length + ", expected " + len);
            }
            System.arraycopy(rows[i], 0, flat, i * len, len);
        }
        return new TokenBatch(rows.length, len, flat, null);
    }

    /** Sequence i as a new array. */
    public int[] row(int i) {
        return Arrays.copyOfRange(tokens, i * length, (i + 1) * length);
    }
}
