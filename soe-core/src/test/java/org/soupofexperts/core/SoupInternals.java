package org.soupofexperts.core;

import org.soupofexperts.core.nn.GptModel;
import org.soupofexperts.core.nn.Router;

/** Test fixture: a soup's blocks for tests outside this package (the accessors are package-private). */
public final class SoupInternals {

    private SoupInternals() {}

    public static GptModel block(SoupOfExperts soup) {
        return soup.block();
    }

    public static Router router(SoupOfExperts soup) {
        return soup.router();
    }
}
