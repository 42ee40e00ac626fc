package org.soupofexperts.data.corpus;

import java.io.IOException;
import java.io.Reader;

/**
 * Reads lines of at most {@code maxChars} characters. {@code BufferedReader.readLine} holds a line
 * whole, however long: a file without newlines, or a small gzip bomb, would fill the heap. Not
 * thread-safe (one reader per stream).
 */
final class BoundedLines {

    /** What {@link #next} found: a line, a line cut because it was too long, or the end. */
    enum Kind {
        LINE,
        TOO_LONG,
        END
    }

    private final Reader in;
    private final int maxChars;
    private final StringBuilder line = new StringBuilder();
    private final char[] buf = new char[1 << 16];
    private int pos;
    private int len;

    BoundedLines(Reader in, int maxChars) {
        this.in = in;
        this.maxChars = maxChars;
    }

    /**
     * Advances to the next line (ended by \n, \r\n or the end of the stream). For {@link
     * Kind#TOO_LONG} the rest of the line is read and dropped, never held.
     */
    Kind next() throws IOException {
        line.setLength(0);
        boolean tooLong = false;
        boolean any = false;
        while (true) {
            if (pos == len) {
                len = in.read(buf, 0, buf.length);
                pos = 0;
                if (len <= 0) {
                    len = 0;
                    return any ? (tooLong ? Kind.TOO_LONG : Kind.LINE) : Kind.END;
                }
            }
            any = true;
            int start = pos;
            while (pos < len && buf[pos] != '\n') {
                pos++;
            }
            if (!tooLong) {
                if (line.length() + (pos - start) > maxChars) {
                    tooLong = true;
                    line.setLength(0);
                } else {
                    line.append(buf, start, pos - start);
                }
            }
            if (pos < len) {
                pos++; // the newline
                if (!tooLong && line.length() > 0 && line.charAt(line.length() - 1) == '\r') {
                    line.setLength(line.length() - 1);
                }
                return tooLong ? Kind.TOO_LONG : Kind.LINE;
            }
        }
    }

    /** The line {@link #next} read (empty after {@link Kind#TOO_LONG}). */
    String line() {
        return line.toString();
    }
}
