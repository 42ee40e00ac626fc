package org.soupofexperts.core.io;

import java.io.IOException;

/** A directory that should hold a saved soup or specialist does not, or holds a damaged one. */
public class SoupFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    public SoupFormatException(String message) {
        super(message);
    }

    public SoupFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
