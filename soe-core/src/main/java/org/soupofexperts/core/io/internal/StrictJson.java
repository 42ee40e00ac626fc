package org.soupofexperts.core.io.internal;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.TypeAdapter;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.Set;
import java.util.function.Function;
import org.soupofexperts.core.io.BoundedRead;
import org.soupofexperts.core.io.SoupFormatException;

/**
 * Strict reads of manifest fields: a number must be an exact integer of the asked range (Gson's
 * own {@code getAsInt} reads 4294967297 as 1 and 4.7 as 4), a boolean a JSON boolean, a string a
 * JSON string, and an object may hold only the keys its schema names. Every refusal names the
 * field and the value. Stateless and thread-safe.
 */
public final class StrictJson {

    /** Deepest nesting of objects and arrays a manifest may have; ours use 4. */
    public static final int MAX_DEPTH = 64;

    /**
     * Most values a parsed object may hold: Gson keeps about 80 bytes per value, so a 64 MiB file
     * of {@code 0,0,0,...} (33 M values) would take gigabytes. A manifest whose size a load takes
     * (64 MiB, about 25-32 bytes a pretty-printed centroid value) holds far fewer numbers than this.
     */
    public static final long MAX_VALUES = 8_000_000;

    private StrictJson() {}

    /**
     * {@link #parseObject} for text a caller passed in (not a file): a bad one is an {@link
     * IllegalArgumentException} that names {@code what} was expected and what is wrong.
     */
    public static JsonObject parseArgument(String text, String what) {
        try {
            return parseObject(text, what);
        } catch (SoupFormatException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /**
     * {@link #parseArgument}, then {@code reader} on the object: a field missing or of the wrong
     * kind (the reader's {@code NullPointerException}, {@code ClassCastException}, ...) is an
     * {@link IllegalArgumentException} too, naming {@code what} was expected.
     */
    public static <T> T readArgument(String text, String what, Function<JsonObject, T> reader) {
        JsonObject o = parseArgument(text, what);
        try {
            return reader.apply(o);
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not " + what + " in JSON: " + e.getMessage(), e);
        }
    }

    /**
     * Parses {@code text} as one strict JSON object. Nesting deeper than {@link #MAX_DEPTH} is
     * refused by a linear scan before parsing: Gson parses deep input, but its copy, print and
     * compare methods recurse, so a hostile 5,000-level array would end in a StackOverflowError
     * far from the file that caused it.
     */
    public static JsonObject parseObject(String text, String where) throws SoupFormatException {
        int depth = 0;
        long values = 0; // commas and containers: about one per value
        boolean inString = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (inString) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == '{' || c == '[') {
                if (++depth > MAX_DEPTH) {
                    throw new SoupFormatException(where + " nests deeper than " + MAX_DEPTH + " levels");
                }
                values++;
            } else if (c == '}' || c == ']') {
                depth--;
            } else if (c == ',') {
                values++;
            }
            if (values > MAX_VALUES) {
                throw new SoupFormatException(where + " holds more than " + MAX_VALUES + " JSON values");
            }
        }
        try (JsonReader in = new JsonReader(new StringReader(text))) {
            in.setStrictness(Strictness.STRICT);
            JsonElement e = ELEMENT.read(in);
            if (in.peek() != JsonToken.END_DOCUMENT) {
                throw new SoupFormatException(where + " has content after its JSON object");
            }
            if (!e.isJsonObject()) {
                throw new SoupFormatException(where + " is not a JSON object");
            }
            return e.getAsJsonObject();
        } catch (IOException | RuntimeException e) {
            throw new SoupFormatException(where + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    /**
     * {@link #parseObject(String, String)} of a UTF-8 file, the file named in every refusal; a file
     * that is not regular, or over {@link ArtifactDirectory#MAX_MANIFEST_BYTES}, is refused unread.
     */
    public static JsonObject readObject(Path file) throws IOException {
        String text = BoundedRead.utf8(file, ArtifactDirectory.MAX_MANIFEST_BYTES, "a JSON description");
        return parseObject(text, file.toString());
    }

    private static final TypeAdapter<JsonElement> ELEMENT = new Gson().getAdapter(JsonElement.class);

    /** The integer at {@code key}, within [min, max]. */
    public static int integer(JsonObject o, String key, int min, int max, String where) throws SoupFormatException {
        return Math.toIntExact(longValue(o, key, min, max, where));
    }

    /** The long integer at {@code key}, within [min, max]. */
    public static long longValue(JsonObject o, String key, long min, long max, String where)
            throws SoupFormatException {
        JsonPrimitive p = primitive(o, key, where);
        if (!p.isNumber()) {
            throw new SoupFormatException(where + ": '" + key + "' must be an integer, got " + p);
        }
        long v;
        try {
            v = new BigDecimal(p.getAsString()).longValueExact();
        } catch (ArithmeticException | NumberFormatException e) {
            throw new SoupFormatException(where + ": '" + key + "' must be an integer, got " + p, e);
        }
        if (v < min || v > max) {
            throw new SoupFormatException(where + ": '" + key + "' = " + v + " is outside [" + min + ", " + max + "]");
        }
        return v;
    }

    /**
     * An array element that must be a JSON integer: not a string that looks like one, not a
     * fraction (Gson's {@code getAsLong} reads both).
     *
     * @param what what the element is, for the message (for example "tensor 'w' shape[1]")
     */
    public static long exactLong(JsonElement e, String what, String where) throws SoupFormatException {
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw new SoupFormatException(where + ": " + what + " must be an integer, got " + e);
        }
        try {
            return new BigDecimal(e.getAsString()).longValueExact();
        } catch (ArithmeticException | NumberFormatException x) {
            throw new SoupFormatException(where + ": " + what + " must be an integer, got " + e, x);
        }
    }

    /** The finite number at {@code key}, within [min, max]. */
    public static double real(JsonObject o, String key, double min, double max, String where)
            throws SoupFormatException {
        JsonPrimitive p = primitive(o, key, where);
        double v = p.isNumber() ? p.getAsDouble() : Double.NaN;
        if (!(v >= min && v <= max)) {
            throw new SoupFormatException(
                    where + ": '" + key + "' must be a number in [" + min + ", " + max + "], got " + p);
        }
        return v;
    }

    /** The boolean under {@code key}; anything else is refused naming {@code where}. */
    public static boolean bool(JsonObject o, String key, String where) throws SoupFormatException {
        JsonPrimitive p = primitive(o, key, where);
        if (!p.isBoolean()) {
            throw new SoupFormatException(where + ": '" + key + "' must be true or false, got " + p);
        }
        return p.getAsBoolean();
    }

    /** The string under {@code key}; anything else is refused naming {@code where}. */
    public static String string(JsonObject o, String key, String where) throws SoupFormatException {
        JsonPrimitive p = primitive(o, key, where);
        if (!p.isString()) {
            throw new SoupFormatException(where + ": '" + key + "' must be a string, got " + p);
        }
        return p.getAsString();
    }

    /** The object at {@code key}. */
    public static JsonObject object(JsonObject o, String key, String where) throws SoupFormatException {
        JsonElement e = o == null ? null : o.get(key);
        if (e == null || !e.isJsonObject()) {
            throw new SoupFormatException(where + ": '" + key + "' must be a JSON object");
        }
        return e.getAsJsonObject();
    }

    /** Refuses keys the schema does not name (a typo or a forged field must not pass silently). */
    public static void onlyKeys(JsonObject o, Set<String> allowed, String where) throws SoupFormatException {
        for (String k : o.keySet()) {
            if (!allowed.contains(k)) {
                throw new SoupFormatException(where + ": unknown field '" + k + "' (expected only " + allowed + ")");
            }
        }
    }

    private static JsonPrimitive primitive(JsonObject o, String key, String where) throws SoupFormatException {
        JsonElement e = o == null ? null : o.get(key);
        if (e == null || !e.isJsonPrimitive()) {
            throw new SoupFormatException(
                    where + ": '" + key + "' is missing or not a single value" + (e == null ? "" : ": " + e));
        }
        return e.getAsJsonPrimitive();
    }
}
