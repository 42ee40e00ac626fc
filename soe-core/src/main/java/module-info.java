/**
 * soe-core: soups of experts over a GPT-style model, their training, and the dense models
 * (specialists) they instantiate. Exports its API packages; {@code internal} is for soe-data only,
 * and the training loop's rooms {@code train.loop} (step algorithms) and {@code train.optimizer}
 * (AdamW and its fused kernel) are not exported.
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
