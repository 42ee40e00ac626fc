package org.soupofexperts.core.archfixture.gson;

import com.google.gson.JsonObject;
import java.util.List;

/** Breaks the Gson rule twice (a generic return type and a public field); {@link #quiet} does not. */
public class LeakyApi {

    /** Public and a Gson type: a violation. */
    public JsonObject state = new JsonObject();

    /** Returns Gson objects inside a list: a violation the raw return type alone would miss. */
    public List<JsonObject> manifests() {
        return List.of(state);
    }

    /** Protected: a subclass in a user's code sees it, so a violation. */
    protected JsonObject forSubclasses() {
        return state;
    }

    /** Package-private: not part of the API, so allowed. */
    JsonObject quiet() {
        return state;
    }
}
