/** Text in, text out: a specialist's generation through its tokenizer, with stop sequences and streaming. */
package org.soupofexperts.data.generate;
