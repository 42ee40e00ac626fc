package org.soupofexperts.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.Callable;
import org.soupofexperts.core.io.SoupFormatException;
import org.soupofexperts.core.io.internal.ArtifactDirectory;
import org.soupofexperts.core.io.internal.StrictJson;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code soe info}: what a saved artefact is (soup, specialist or checkpoint), read from its
 * manifest after the same checks a load makes (checksums, sizes), without starting LibTorch.
 */
@Command(
        name = "info",
        footerHeading = "%nExamples:%n",
        footer = {"  soe info run/soup --json"},
        mixinStandardHelpOptions = true,
        description = "What a saved soup, specialist or checkpoint is: kind, sizes, model, domains and experts, h,"
                + " training runs, attachments. Checks its checksums; starts no engine.")
final class Info implements Callable<Integer> {

    private static final Set<String> KINDS = Set.of("soup", "specialist", "checkpoint");

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "DIR", description = "folder of a saved artefact")
    Path dir;

    @Option(names = "--json", description = "print the facts as one JSON object, for scripts")
    boolean json;

    @Override
    public Integer call() throws Exception {
        Path manifestPath = dir.resolve(ArtifactDirectory.MANIFEST);
        if (!Files.isRegularFile(manifestPath)) {
            throw new IllegalArgumentException(
                    dir + " is not a saved artefact: it has no " + ArtifactDirectory.MANIFEST);
        }
        JsonObject peek = StrictJson.readObject(manifestPath);
        String kind = StrictJson.string(peek, "kind", manifestPath.toString());
        if (!KINDS.contains(kind)) {
            throw new SoupFormatException(manifestPath + ": unknown kind '" + kind + "'");
        }
        ArtifactDirectory.Loaded a = ArtifactDirectory.open(dir, kind);
        JsonObject m = a.manifest();
        JsonObject facts = new JsonObject();
        facts.addProperty("path", dir.toString());
        facts.addProperty("kind", kind);
        copy(m, facts, "format", "libraryVersion", "createdAt");
        facts.addProperty("parameterBytes", Files.size(a.parameters()));
        JsonObject config = m.has("config") && m.get("config").isJsonObject() ? m.getAsJsonObject("config") : null;
        JsonObject model = config != null && config.has("model")
                ? config.getAsJsonObject("model")
                : m.has("model") && m.get("model").isJsonObject() ? m.getAsJsonObject("model") : null;
        if (model != null) {
            facts.add("model", model);
        }
        if (config != null) {
            copy(config, facts, "domains", "experts", "expertRanks", "router", "expertInit", "seed");
        }
        if (m.has("labels")) {
            JsonElement labels = m.get("labels").deepCopy();
            if (labels.isJsonObject() && labels.getAsJsonObject().has("tokenizerDefinition")) {
                // A tokenizer.json runs to megabytes: its size says it is there.
                JsonElement def = labels.getAsJsonObject().remove("tokenizerDefinition");
                labels.getAsJsonObject()
                        .addProperty(
                                "tokenizerDefinitionChars",
                                def.isJsonPrimitive() ? def.getAsString().length() : -1);
            }
            facts.add("labels", labels);
        }
        if (m.has("provenance") && m.get("provenance").isJsonObject()) {
            copy(m.getAsJsonObject("provenance"), facts, "h", "alpha");
        }
        if (m.has("training") && m.get("training").isJsonArray()) {
            JsonArray runs = new JsonArray();
            for (JsonElement r : m.getAsJsonArray("training")) {
                if (r.isJsonObject()) {
                    JsonObject run = new JsonObject();
                    copy(r.getAsJsonObject(), run, "steps", "tokens", "seconds", "finalLoss", "seed");
                    runs.add(run);
                }
            }
            facts.add("trainingRuns", runs);
        }
        if (m.has("attachments") && m.get("attachments").isJsonObject()) {
            JsonArray names = new JsonArray();
            m.getAsJsonObject("attachments").keySet().forEach(names::add);
            facts.add("attachments", names);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(new GsonBuilder().disableHtmlEscaping().create().toJson(facts));
        } else {
            for (var e : facts.entrySet()) {
                out.printf(
                        "%-15s %s%n",
                        e.getKey() + ":",
                        e.getValue().isJsonPrimitive() ? e.getValue().getAsString() : e.getValue());
            }
        }
        return 0;
    }

    private static void copy(JsonObject from, JsonObject to, String... keys) {
        for (String k : keys) {
            if (from.has(k)) {
                to.add(k, from.get(k));
            }
        }
    }
}
