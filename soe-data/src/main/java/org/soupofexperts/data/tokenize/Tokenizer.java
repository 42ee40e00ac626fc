package org.soupofexperts.data.tokenize;

/** Text to token ids and back. Implementations state their thread safety. */
public interface Tokenizer {

    /** Size of the vocabulary: ids are in [0, vocabSize). */
    int vocabSize();

    int[] encode(String text);

    String decode(int[] ids);

    /** A stable identifier (recorded in token stores and soups). */
    String id();
}
