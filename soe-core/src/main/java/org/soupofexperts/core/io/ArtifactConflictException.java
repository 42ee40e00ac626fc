package org.soupofexperts.core.io;

import java.io.IOException;

/**
 * A save was refused because the target folder holds something it must not replace: an artefact
 * of another kind, or files that are not an artefact's. Nothing was written or deleted.
 */
public class ArtifactConflictException extends IOException {

    private static final long serialVersionUID = 1L;

    public ArtifactConflictException(String message) {
        super(message);
    }

    public ArtifactConflictException(String message, Throwable cause) {
        super(message, cause);
    }
}
