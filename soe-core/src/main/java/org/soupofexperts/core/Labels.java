package org.soupofexperts.core;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.soupofexperts.core.config.DomainWeights;
import org.soupofexperts.core.config.SoupConfig;
import org.soupofexperts.core.io.SoupFormatException;
import org.soupofexperts.core.io.internal.StrictJson;

/**
 * What a soup's numbers mean, saved with it and with every specialist made from it: the name
 * of each domain (so h can be given and printed by name) and the tokenizer it was trained with
 * (so text is never scored with another one). Either may be unknown. Immutable; thread-safe.
 *
 * @param domains the domains' names in h's order, or an empty list when unknown
 * @param tokenizer the tokenizer's identifier (as {@code Tokenizer.id()} gives it), or null
 * @param tokenizerVocabSize its vocabulary size, or 0 when the tokenizer is unknown
 * @param tokenizerDefinition the tokenizer's own file, such as a Hugging Face {@code
 *     tokenizer.json}, as text, or null when the identifier says all (the byte tokenizer); saved in
 *     the manifest beside the parameters, so an artefact carries what it needs to read text
 */
public record Labels(List<String> domains, String tokenizer, int tokenizerVocabSize, String tokenizerDefinition) {

    /** Nothing known. */
    public static final Labels NONE = new Labels(List.of(), null, 0);

    private static final int MAX_NAME = 256;
    /** Larger tokenizer definitions are refused (a GPT-2 tokenizer.json has 1.4 MB). */
    private static final int MAX_DEFINITION = 32 << 20;

    /** Labels without a tokenizer definition. */
    public Labels(List<String> domains, String tokenizer, int tokenizerVocabSize) {
        this(domains, tokenizer, tokenizerVocabSize, null);
    }

    public Labels {
        domains = List.copyOf(domains);
        Set<String> seen = new HashSet<>();
        for (String d : domains) {
            if (d.isBlank() || d.length() > MAX_NAME) {
                throw new IllegalArgumentException(
                        "a domain name must be 1 to " + MAX_NAME + " characters, got '" + d + "'");
            }
            if (!seen.add(d)) {
                throw new IllegalArgumentException("domain name '" + d + "' appears twice");
            }
        }
        if ((tokenizer == null) != (tokenizerVocabSize == 0) || tokenizerVocabSize < 0) {
            throw new IllegalArgumentException("give a tokenizer with its vocabulary size (> 0), or neither");
        }
        if (tokenizerDefinition != null && (tokenizer == null || tokenizerDefinition.length() > MAX_DEFINITION)) {
            throw new IllegalArgumentException(
                    tokenizer == null
                            ? "a tokenizer definition needs the tokenizer's identifier"
                            : "the tokenizer definition has " + tokenizerDefinition.length()
                                    + " characters, over the limit of " + MAX_DEFINITION);
        }
    }

    /** These labels with the given tokenizer and its own file's text (for example a tokenizer.json). */
    public Labels withTokenizer(String id, int vocabSize, String definition) {
        return new Labels(domains, id, vocabSize, definition);
    }

    /** Names, tokenizer and the definition's size, not its text. */
    @Override
    public String toString() {
        return "Labels[domains=" + domains + ", tokenizer=" + tokenizer + ", tokenizerVocabSize=" + tokenizerVocabSize
                + (tokenizerDefinition == null
                        ? ""
                        : ", tokenizerDefinition=" + tokenizerDefinition.length() + " chars")
                + "]";
    }

    /** Domain names only. */
    public static Labels ofDomains(List<String> names) {
        return new Labels(names, null, 0);
    }

    /** These labels with the given tokenizer (no definition). */
    public Labels withTokenizer(String id, int vocabSize) {
        return new Labels(domains, id, vocabSize, null);
    }

    /**
     * Domain weights from names: {@code {"python": 0.7, "c": 0.3}} gives 0.7 and 0.3 at those
     * domains' places and 0 elsewhere; the weights must sum to 1.
     *
     * @throws IllegalArgumentException naming an unknown domain, or when no names are known
     */
    public double[] weights(Map<String, Double> byName) {
        if (domains.isEmpty()) {
            throw new IllegalArgumentException("this soup does not know its domains' names: give h as numbers");
        }
        double[] h = new double[domains.size()];
        for (Map.Entry<String, Double> e : byName.entrySet()) {
            int i = domains.indexOf(e.getKey());
            if (i < 0) {
                throw new IllegalArgumentException("unknown domain '" + e.getKey() + "'; the domains are " + domains);
            }
            h[i] = e.getValue();
        }
        return DomainWeights.validate(h, domains.size());
    }

    /** h with names, such as {@code python=0.7000,c=0.3000}; positions stand in for unknown names. */
    public String format(double[] h) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < h.length; i++) {
            b.append(i == 0 ? "" : ",");
            if (!domains.isEmpty()) {
                b.append(domains.get(i)).append('=');
            }
            b.append(String.format(Locale.ROOT, "%.4f", h[i]));
        }
        return b.toString();
    }

    JsonObject toJson() {
        JsonObject o = new JsonObject();
        JsonArray names = new JsonArray();
        domains.forEach(names::add);
        o.add("domains", names);
        if (tokenizer != null) {
            o.addProperty("tokenizer", tokenizer);
            o.addProperty("tokenizerVocabSize", tokenizerVocabSize);
            if (tokenizerDefinition != null) {
                o.addProperty("tokenizerDefinition", tokenizerDefinition);
            }
        }
        return o;
    }

    /** The labels of a manifest (strictly read), or {@link #NONE} when it has none; k <= 0 skips the count check. */
    static Labels fromManifest(JsonObject manifest, int k, String where) throws SoupFormatException {
        JsonElement e = manifest.get("labels");
        if (e == null) {
            return NONE;
        }
        JsonObject o = StrictJson.object(manifest, "labels", where);
        StrictJson.onlyKeys(
                o, Set.of("domains", "tokenizer", "tokenizerVocabSize", "tokenizerDefinition"), where + " (labels)");
        List<String> names = new ArrayList<>();
        if (!o.has("domains") || !o.get("domains").isJsonArray()) {
            throw new SoupFormatException(where + ": 'labels.domains' must be an array of names");
        }
        for (JsonElement n : o.getAsJsonArray("domains")) {
            if (!n.isJsonPrimitive() || !n.getAsJsonPrimitive().isString()) {
                throw new SoupFormatException(where + ": a domain name must be a string, got " + n);
            }
            names.add(n.getAsString());
        }
        if (k > 0 && !names.isEmpty() && names.size() != k) {
            throw new SoupFormatException(where + ": " + names.size() + " domain names for k = " + k + " domains");
        }
        try {
            return o.has("tokenizer")
                    ? new Labels(
                            names,
                            StrictJson.string(o, "tokenizer", where),
                            StrictJson.integer(o, "tokenizerVocabSize", 1, 1 << 24, where),
                            o.has("tokenizerDefinition") ? StrictJson.string(o, "tokenizerDefinition", where) : null)
                    : ofDomains(names);
        } catch (IllegalArgumentException bad) {
            throw new SoupFormatException(where + ": invalid labels: " + bad.getMessage(), bad);
        }
    }

    /** These labels, if they fit a soup of that config (one name per domain, a vocabulary it covers). */
    Labels checkedFor(SoupConfig config) {
        if (!domains.isEmpty() && domains.size() != config.numDomains()) {
            throw new IllegalArgumentException(
                    domains.size() + " domain names for a soup of k = " + config.numDomains());
        }
        if (tokenizerVocabSize > config.model().vocabSize()) {
            throw new IllegalArgumentException("tokenizer " + tokenizer + " has " + tokenizerVocabSize
                    + " tokens, more than the model's vocabulary of "
                    + config.model().vocabSize());
        }
        return this;
    }
}
