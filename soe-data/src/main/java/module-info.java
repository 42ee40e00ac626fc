/**
 * soe-data: corpora, tokenizers, token stores, domain-weighted samplers, meta-distributions,
 * embedders, k-means, nearest-centroid histograms, evaluation and fine-tuning for soe-core.
 */
module org.soupofexperts.data {
    requires transitive org.soupofexperts.core;
    // Optional: Hugging Face tokenizers and .zst corpora; their dependencies are <optional> in the POM.
    requires static ai.djl.tokenizers;
    requires static com.github.luben.zstd_jni;
    requires com.google.gson;
    requires org.slf4j;
    // The MiniLM sentence embedder is optional: its dependency is declared <optional> in the POM.
    requires static langchain4j.core;
    requires static langchain4j.embeddings;
    requires static langchain4j.embeddings.all.minilm.l6.v2;

    exports org.soupofexperts.data.cluster;
    exports org.soupofexperts.data.corpus;
    exports org.soupofexperts.data.embed;
    exports org.soupofexperts.data.eval;
    exports org.soupofexperts.data.finetune;
    exports org.soupofexperts.data.generate;
    exports org.soupofexperts.data.sample;
    exports org.soupofexperts.data.store;
    exports org.soupofexperts.data.synth;
    exports org.soupofexperts.data.tokenize;
}
