package com.example;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.soupofexperts.core.Generation;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.Specialist;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.train.TrainingPlan;
import org.soupofexperts.core.train.TrainingReport;
import org.soupofexperts.data.eval.Evaluation;
import org.soupofexperts.data.generate.TextGenerator;
import org.soupofexperts.data.sample.InMemoryDomainSampler;
import org.soupofexperts.data.sample.MetaDistributions;
import org.soupofexperts.data.synth.SyntheticCorpus;
import org.soupofexperts.data.tokenize.ByteTokenizer;

public class Usage {
    public static void main(String[] args) throws Exception {
        // Two data domains of text (here a built-in synthetic corpus), as bytes.
        SyntheticCorpus corpus = new SyntheticCorpus(2, 200, 7);
        ByteTokenizer tokenizer = new ByteTokenizer();
        int[][] tokens = new int[2][];
        for (int d = 0; d < 2; d++) {
            tokens[d] = tokenizer.encode(String.join("\n\n", corpus.documents(d, 0, 200, 60)));
        }
        InMemoryDomainSampler sampler = new InMemoryDomainSampler(corpus.domainNames(), tokens);

        try (SoupOfExperts soup = SoupOfExperts.builder()
                .model(ModelConfig.builder()
                        .vocabSize(256)
                        .layers(2)
                        .dModel(64)
                        .heads(4)
                        .contextLength(64)
                        .build())
                .domains(sampler.domains()) // the data's domains (here 2): the soup takes their count
                .experts(4) // expert banks
                .seed(42) // mandatory: init, h-sampling and data streams derive from it
                .build()) {
            TrainingReport report = soup.train(TrainingPlan.builder()
                    .source(sampler) // any BatchSource
                    .metaDistribution(MetaDistributions.recommended(sampler.domains()))
                    .steps(100)
                    .batchSize(16)
                    .learningRate(2e-3)
                    .warmup(20)
                    .build());
            System.out.println(report);

            // A specialist for 70% of domain 0 and 30% of domain 1: a plain model of base size.
            Path dir = Files.createTempDirectory("soup-usage");
            try (Specialist s = soup.instantiate(new double[] {0.7, 0.3})) {
                List<String> heldOut = corpus.documents(0, 10_000, 5, 60);
                System.out.printf(
                        "%.3f bits/byte%n",
                        Evaluation.onDocuments(s::loss, tokenizer, heldOut, 64).bitsPerByte());
                // Text in, text out, through the tokenizer; the prompt is read once (a key/value cache).
                System.out.println(TextGenerator.of(s, tokenizer).generate("the ", Generation.greedy(40)));
                s.save(dir.resolve("specialist")); // atomic; Specialist.load reads it back
            }
            soup.save(dir.resolve("soup")); // atomic; SoupOfExperts.load reads it back
            try (SoupOfExperts again = SoupOfExperts.load(dir.resolve("soup"));
                    Specialist back = Specialist.load(dir.resolve("specialist"))) {
                System.out.println("reloaded: " + again.config() + ", " + back.parameterCount() + " parameters");
            }
        }
    }
}
