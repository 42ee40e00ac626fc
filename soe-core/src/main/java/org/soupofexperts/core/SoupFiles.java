package org.soupofexperts.core;

import ai.djl.Device;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import org.soupofexperts.core.Provenance.RunHistory;
import org.soupofexperts.core.config.SoupConfig;
import org.soupofexperts.core.io.SoupFormatException;
import org.soupofexperts.core.io.Version;
import org.soupofexperts.core.io.internal.ArtifactDirectory;
import org.soupofexperts.core.io.internal.Attachments;
import org.soupofexperts.core.io.internal.ConfigJson;
import org.soupofexperts.core.io.internal.LoadedTensors;
import org.soupofexperts.core.io.internal.StrictJson;

/**
 * A soup's saved form: a manifest (version, config, run history, labels, attachments) next to one
 * parameter file, written and verified by {@link ArtifactDirectory}. Stateless.
 */
final class SoupFiles {

    static final String KIND = "soup";

    private SoupFiles() {}

    /** The manifest of a soup; with {@code withAttachments} false they are named by size and SHA-256 only. */
    static JsonObject manifest(
            SoupConfig config, RunHistory history, Labels labels, Attachments attachments, boolean withAttachments) {
        JsonObject m = new JsonObject();
        m.addProperty("libraryVersion", Version.get());
        m.add("config", ConfigJson.soup(config));
        m.add("training", history.toJson());
        if (!labels.equals(Labels.NONE)) {
            m.add("labels", labels.toJson());
        }
        m.add("attachments", withAttachments ? attachments.copy() : attachments.references());
        return m;
    }

    static void save(Path dir, JsonObject manifest, SoupParameters params) throws IOException {
        params.requireFinite(dir);
        JsonObject m = manifest.deepCopy();
        m.addProperty("createdAt", Instant.now().toString());
        ArtifactDirectory.save(dir, KIND, m, params::write);
    }

    /** What a load gives back. */
    record Loaded(SoupParameters params, RunHistory history, Attachments attachments, Labels labels) {}

    /**
     * Verifies the artefact, then the config against the parameter file's size, and only then
     * builds and reads the parameters (a forged {@code layers = 200000000} would otherwise
     * allocate, or hang, before any check).
     */
    static Loaded load(Path dir, Device device) throws IOException {
        ArtifactDirectory.Loaded a = ArtifactDirectory.open(dir, KIND);
        JsonObject m = a.manifest();
        SoupConfig config;
        try {
            config = ConfigJson.soup(StrictJson.object(m, "config", dir.toString()), dir + " (soup config)");
        } catch (SoupFormatException | RuntimeException e) {
            throw new SoupFormatException(dir + " has an invalid soup config in its manifest: " + e.getMessage(), e);
        }
        // The router too: 2^20 domains x a hidden width of 511 is a 2 GiB weight to allocate.
        long router = config.router().parameterCount(config.numDomains(), config.experts());
        long all =
                router == Long.MAX_VALUE ? -1 : config.model().parameterCount() + config.bankParameterCount() + router;
        LoadedTensors.checkFileHolds(dir, a.parameters(), all);
        Labels labels = Labels.fromManifest(m, config.numDomains(), dir.toString());
        SoupParameters p = new SoupParameters(config, device);
        try {
            p.read(dir, a.parameters());
        } catch (IOException | RuntimeException e) {
            p.close();
            throw e;
        }
        return new Loaded(p, RunHistory.from(m, "training"), Attachments.fromManifest(m), labels);
    }
}
