package org.soupofexperts.core.io.internal;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** JSON values a soup carries in its manifest under string keys (see {@code SoupOfExperts.attach}). Thread-safe. */
public final class Attachments {

    private final JsonObject values = new JsonObject();

    /** No attachments. */
    public Attachments() {}

    /** The attachments saved in a manifest, or none. */
    public static Attachments fromManifest(JsonObject manifest) {
        Attachments a = new Attachments();
        if (manifest.has("attachments") && manifest.get("attachments").isJsonObject()) {
            for (var e : manifest.getAsJsonObject("attachments").entrySet()) {
                a.values.add(e.getKey(), e.getValue());
            }
        }
        return a;
    }

    /** Stores {@code json} under {@code key}, replacing any value there; refuses a blank key or invalid JSON. */
    public synchronized void put(String key, String json) {
        if (key == null || key.isBlank()) {
            throw new IllegalArgumentException("attachment key must not be blank");
        }
        if (json == null) {
            throw new IllegalArgumentException("attachment " + key + " has no value");
        }
        JsonElement value;
        try {
            value = JsonParser.parseString(json);
        } catch (JsonParseException e) {
            throw new IllegalArgumentException("attachment " + key + " is not valid JSON: " + e.getMessage(), e);
        }
        values.add(key, value);
    }

    /** The JSON text under {@code key}, or null. */
    public synchronized String get(String key) {
        JsonElement e = values.get(key);
        return e == null ? null : e.toString();
    }

    /** Every value, copied (what a soup's manifest saves). */
    public synchronized JsonObject copy() {
        return values.deepCopy();
    }

    /**
     * Every value named by its size and SHA-256 instead of copied (what a specialist's provenance
     * keeps: the centroids of a soup of 64 clusters would outweigh a small specialist's parameters).
     */
    public synchronized JsonObject references() {
        JsonObject refs = new JsonObject();
        for (var e : values.entrySet()) {
            byte[] bytes = e.getValue().toString().getBytes(StandardCharsets.UTF_8);
            JsonObject ref = new JsonObject();
            ref.addProperty("bytes", bytes.length);
            ref.addProperty("sha256", sha256(bytes));
            refs.add(e.getKey(), ref);
        }
        return refs;
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
