package org.soupofexperts.testing;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Seeded hostile edits of a JSON manifest, for fault-injection tests of every artefact kind: one
 * value (a leaf or a whole object or array) replaced by an extreme or ill-typed one, a key
 * removed, an unknown key added, 5,000 levels of nesting inserted, or the text cut short. Each
 * edit says what it did, so a failure can be replayed from its seed. Not thread-safe.
 */
public final class JsonMutator {

    private static final String DEEP = "\"__deep__\"";
    private static final JsonElement[] HOSTILE = {
        new JsonPrimitive(0),
        new JsonPrimitive(-1),
        new JsonPrimitive(1),
        new JsonPrimitive(Integer.MAX_VALUE),
        new JsonPrimitive(2147483648L),
        new JsonPrimitive(4294967297L),
        new JsonPrimitive(Long.MAX_VALUE),
        new JsonPrimitive(1e308),
        new JsonPrimitive(-1e308),
        new JsonPrimitive(0.5),
        new JsonPrimitive(""),
        new JsonPrimitive("x"),
        new JsonPrimitive("../../../../etc/passwd"),
        new JsonPrimitive("/dev/zero"),
        JsonNull.INSTANCE,
        new JsonPrimitive(true),
        new JsonArray(),
        new JsonObject(),
        new JsonPrimitive("__deep__"),
    };

    private final SplittableRandom rng;
    private String last = "";

    public JsonMutator(long seed) {
        this.rng = new SplittableRandom(seed);
    }

    /** What the last {@link #mutate} did. */
    public String last() {
        return last;
    }

    /** A hostile edit of {@code json}: pretty-printed JSON, or (for a cut) raw text that is no longer JSON. */
    public String mutate(String json) {
        if (rng.nextInt(10) == 0) {
            int at = rng.nextInt(json.length());
            last = "text cut at " + at;
            return json.substring(0, at);
        }
        JsonElement root = JsonParser.parseString(json);
        List<Slot> slots = new ArrayList<>();
        collect(root, "$", slots);
        Slot s = slots.get(rng.nextInt(slots.size()));
        int op = rng.nextInt(6);
        if (op == 0 && s.parent instanceof JsonObject o) {
            o.remove(s.key);
            last = "removed " + s.path;
        } else if (op == 1 && s.parent instanceof JsonObject o) {
            o.addProperty("unexpected" + rng.nextInt(100), 1);
            last = "unknown key added beside " + s.path;
        } else {
            JsonElement v = HOSTILE[rng.nextInt(HOSTILE.length)];
            s.set(v.deepCopy());
            last = s.path + " = " + v;
        }
        String text = new GsonBuilder()
                .setPrettyPrinting()
                .disableHtmlEscaping()
                .create()
                .toJson(root);
        return text.replace(DEEP, "[".repeat(5000) + "]".repeat(5000));
    }

    private static void collect(JsonElement e, String path, List<Slot> out) {
        if (e instanceof JsonObject o) {
            for (String k : o.keySet()) {
                out.add(new Slot(o, k, -1, path + "." + k));
                collect(o.get(k), path + "." + k, out);
            }
        } else if (e instanceof JsonArray a) {
            for (int i = 0; i < a.size(); i++) {
                out.add(new Slot(a, null, i, path + "[" + i + "]"));
                collect(a.get(i), path + "[" + i + "]", out);
            }
        }
    }

    private record Slot(JsonElement parent, String key, int index, String path) {
        void set(JsonElement v) {
            if (parent instanceof JsonObject o) {
                o.add(key, v);
            } else {
                ((JsonArray) parent).set(index, v);
            }
        }
    }
}
