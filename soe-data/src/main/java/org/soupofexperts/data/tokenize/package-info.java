/**
 * Tokenizers: UTF-8 bytes, and Hugging Face {@code tokenizer.json} files.
 */
package org.soupofexperts.data.tokenize;
