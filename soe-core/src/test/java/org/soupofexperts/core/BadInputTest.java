package org.soupofexperts.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.soupofexperts.core.batch.TokenBatch;
import org.soupofexperts.core.config.DomainWeights;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.config.SoupConfig;
import org.soupofexperts.core.train.TrainingPlan;

/** Every bad input is refused with a message that names the problem. */
class BadInputTest {

    private static SoupOfExperts soup;

    @BeforeAll
    static void build() {
        soup = SoupOfExperts.builder()
                .model(ToyDomains.tinyModel())
                .domains(2)
                .experts(2)
                .seed(1)
                .build();
    }

    @AfterAll
    static void close() {
        soup.close();
    }

    private static void assertRejected(String fragment, Executable e) {
        Throwable t = assertThrows(IllegalArgumentException.class, e);
        assertTrue(t.getMessage().contains(fragment), "message '" + t.getMessage() + "' lacks '" + fragment + "'");
    }

    @Test
    void domainWeightsOfTheWrongLengthAreRejected() {
        assertRejected("length 3 but the soup has k=2", () -> soup.instantiate(new double[] {0.2, 0.3, 0.5}));
    }

    @Test
    void negativeDomainWeightsAreRejected() {
        assertRejected("h[0] is negative", () -> soup.instantiate(new double[] {-0.5, 1.5}));
    }

    @Test
    void nanDomainWeightsAreRejected() {
        assertRejected("h[1] is NaN", () -> soup.instantiate(new double[] {0.5, Double.NaN}));
        assertRejected("must be finite", () -> soup.alpha(new double[] {Double.POSITIVE_INFINITY, 0}));
    }

    @Test
    void domainWeightsThatDoNotSumToOneAreRejected() {
        assertRejected("sum to 0.9", () -> soup.instantiate(new double[] {0.4, 0.5}));
        assertRejected("must not be null", () -> soup.instantiate(null));
    }

    @Test
    void domainWeightsWithinToleranceAreRenormalised() {
        assertArrayEquals(new double[] {0.5, 0.5}, DomainWeights.validate(new double[] {0.50004, 0.50004}, 2), 1e-12);
    }

    @Test
    void fewerThanOneExpertIsRejected() {
        assertRejected(
                "number of experts n must be >= 1, got 0",
                () -> SoupOfExperts.builder()
                        .model(ToyDomains.tinyModel())
                        .domains(2)
                        .experts(0)
                        .seed(1)
                        .build());
    }

    @Test
    void expertBanksTooLargeForOneArrayAreRejectedUpFront() {
        assertRejected(
                "over this version's limit",
                () -> SoupConfig.builder()
                        .model(ModelConfig.builder()
                                .vocabSize(50257)
                                .dModel(768)
                                .heads(12)
                                .build())
                        .domains(2)
                        .experts(16)
                        .seed(1)
                        .build());
    }

    @Test
    void missingDomainsOrSeedAreRejected() {
        assertRejected(
                "domains(k)", () -> SoupOfExperts.builder().experts(2).seed(1).config());
        assertRejected("needs a seed", () -> SoupOfExperts.builder().domains(2).config());
    }

    @Test
    void headsThatDoNotDivideTheWidthAreRejected() {
        assertRejected(
                "dModel (30) must be divisible by heads (4)",
                () -> ModelConfig.builder().dModel(30).heads(4).build());
        assertRejected(
                "layers must be >= 1, got 0",
                () -> ModelConfig.builder().layers(0).build());
    }

    @Test
    void sequencesLongerThanTheContextOrWithForeignTokensAreRejected() {
        int[][] tooLong = new int[1][ToyDomains.tinyModel().contextLength() + 2];
        assertRejected(
                "sequences must have 2 to 17 tokens", () -> soup.loss(TokenBatch.of(tooLong), new double[] {1, 0}));
        assertRejected(
                "token id 99 is outside the vocabulary",
                () -> soup.loss(TokenBatch.of(new int[][] {{1, 99}}), new double[] {1, 0}));
        assertRejected("sequence 1 has length 1, expected 2", () -> TokenBatch.of(new int[][] {{1, 2}, {3}}));
    }

    @Test
    void inconsistentTrainingConfigsAreRejected() {
        assertRejected(
                "steps must be >= 1",
                () -> TrainingPlan.builder()
                        .source(new ToyDomains())
                        .metaDistribution(ToyDomains.meta())
                        .steps(0)
                        .build());
        assertRejected(
                "learningRate must be finite and > 0",
                () -> TrainingPlan.builder()
                        .source(new ToyDomains())
                        .metaDistribution(ToyDomains.meta())
                        .learningRate(-1)
                        .build());
        assertRejected(
                "warmupSteps must be in [0, steps=10]",
                () -> TrainingPlan.builder()
                        .source(new ToyDomains())
                        .metaDistribution(ToyDomains.meta())
                        .steps(10)
                        .warmup(11)
                        .build());
        TrainingPlan longContext = TrainingPlan.builder()
                .source(new ToyDomains())
                .metaDistribution(ToyDomains.meta())
                .steps(1)
                .contextLength(64)
                .build();
        assertRejected("exceeds the model's context length 16", () -> soup.train(longContext));
        SoupOfExperts three = SoupOfExperts.builder()
                .model(ToyDomains.tinyModel())
                .domains(3)
                .experts(2)
                .seed(1)
                .build();
        try (three) {
            TrainingPlan two = TrainingPlan.builder()
                    .source(new ToyDomains())
                    .metaDistribution(ToyDomains.meta())
                    .steps(1)
                    .build();
            assertRejected("the batch source has 2 domains but the soup has k=3", () -> three.train(two));
        }
    }
}
