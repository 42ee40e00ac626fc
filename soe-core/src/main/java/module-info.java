/**
 * soe-core: soups of experts over a GPT-style model, their training, and the dense models
 * (specialists) they instantiate. Exports its API packages, none of which has a Gson type in a
 * public signature (Gson is how files are written, so it is not passed on); {@code internal} and
 * {@code io.internal} (the file formats) go to soe-data only (the {@code soe} tool, on the class
 * path, reads manifests through {@code io.internal} too), and the training loop's rooms {@code
 * train.loop} (the loop), {@code train.step} (step algorithms), {@code train.optimizer} (AdamW and
 * its fused kernel) and {@code train.checkpoint} (checkpoint files; {@code
 * train.CheckpointFolder} is their API) are not exported.
 */
module org.soupofexperts.core {
    requires transitive ai.djl.api;
    requires com.google.gson;
    requires ai.djl.pytorch_engine;
    requires org.slf4j;

    exports org.soupofexperts.core;
    exports org.soupofexperts.core.batch;
    exports org.soupofexperts.core.config;
    exports org.soupofexperts.core.djl;
    exports org.soupofexperts.core.io;
    exports org.soupofexperts.core.nn;
    exports org.soupofexperts.core.train;
    exports org.soupofexperts.core.train.listener;
    exports org.soupofexperts.core.internal to
            org.soupofexperts.data;
    exports org.soupofexperts.core.io.internal to
            org.soupofexperts.data;
}
