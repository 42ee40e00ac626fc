package org.soupofexperts.core.internal;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import com.google.gson.JsonObject;

/**
 * What ran a training run, as recorded beside its configuration: the Java runtime, DJL, the engine
 * (LibTorch) and its thread counts. Resume and replay are bit-exact only at the same engine build
 * and thread count (docs/reliability.md), so an artefact must say which it was made with.
 */
public final class RuntimeFacts {

    private RuntimeFacts() {}

    /** The facts of this process, now (starts the engine if it has not started). */
    public static JsonObject json() {
        Engine e = Djl.engine();
        JsonObject o = new JsonObject();
        o.addProperty("java", System.getProperty("java.version"));
        o.addProperty("javaVendor", System.getProperty("java.vendor"));
        o.addProperty("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        o.addProperty("djl", Engine.getDjlVersion());
        o.addProperty("engine", e.getEngineName());
        o.addProperty("engineVersion", e.getVersion());
        o.addProperty("device", e.defaultDevice().toString());
        if ("PyTorch".equals(e.getEngineName())) {
            o.addProperty("intraOpThreads", JniUtils.getNumThreads());
            o.addProperty("interOpThreads", JniUtils.getNumInteropThreads());
        }
        o.addProperty("availableProcessors", Runtime.getRuntime().availableProcessors());
        return o;
    }
}
