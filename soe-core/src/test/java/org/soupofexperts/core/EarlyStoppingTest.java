package org.soupofexperts.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.soupofexperts.core.batch.TokenBatch;
import org.soupofexperts.core.train.EarlyStopping;
import org.soupofexperts.core.train.TrainingPlan;
import org.soupofexperts.core.train.TrainingReport;

/** Fine-tuning with early stopping: the curve it records, when it stops, and what it restores. */
class EarlyStoppingTest {

    private static final int CONTEXT = 4;
    private static final int BATCH = 8;

    private static TrainingPlan fineTune(int domain, int steps, EarlyStopping es) {
        return TrainingPlan.builder()
                .source(new ToyDomains())
                .metaDistribution(ToyDomains.only(domain))
                .steps(steps)
                .batchSize(BATCH)
                .contextLength(CONTEXT)
                .learningRate(3e-3)
                .warmup(0)
                .logEvery(0)
                .seed(3)
                .earlyStopping(es)
                .build();
    }

    private static List<TokenBatch> heldOut(int domain) {
        return List.of(
                new ToyDomains().domain(domain, 16, CONTEXT + 1, 50),
                new ToyDomains().domain(domain, 16, CONTEXT + 1, 51));
    }

    @Test
    void recordsTheValidationCurveFromStepZeroWhileTheLossFalls() {
        EarlyStopping es = EarlyStopping.builder()
                .validation(heldOut(1))
                .every(20)
                .patience(3)
                .build();
        try (DenseModel s = DenseModel.create(ToyDomains.tinyModel(), 1)) {
            double before = (s.loss(heldOut(1).get(0)) + s.loss(heldOut(1).get(1))) / 2;
            TrainingReport r = s.train(fineTune(1, 100, es));
            List<TrainingReport.ValidationPoint> v = r.validation();
            assertEquals(6, v.size(), "evaluations at steps 0, 20, ..., 100: " + v);
            assertEquals(0, v.get(0).step());
            assertEquals(before, v.get(0).loss(), 1e-5, "the step-0 point is the untrained model's held-out loss");
            assertEquals(60L * BATCH * CONTEXT, v.get(3).tokens());
            assertTrue(v.get(5).loss() < 0.5 * v.get(0).loss(), "held-out loss must fall: " + v);
            assertEquals(100, r.steps());
            assertEquals(r.bestValidationLoss(), v.get(r.bestStep() / 20).loss(), 0.0);
        }
    }

    @Test
    void stopsAfterPatienceEvaluationsWithoutImprovementAndRestoresTheBestParameters() {
        // Trained on domain 0, then fine-tuned on domain 1 while validated on domain 0: the
        // held-out loss only rises, so the best point is the start.
        EarlyStopping es = EarlyStopping.builder()
                .validation(heldOut(0))
                .every(10)
                .patience(2)
                .build();
        try (DenseModel s = DenseModel.create(ToyDomains.tinyModel(), 2)) {
            s.train(fineTune(0, 150, null));
            double start = s.loss(heldOut(0).get(0));
            TrainingReport r = s.train(fineTune(1, 200, es));
            assertEquals(20, r.steps(), "two evaluations without improvement after step 0 must stop at step 20");
            assertEquals(20, r.losses().length);
            assertEquals(0, r.bestStep());
            assertEquals(start, s.loss(heldOut(0).get(0)), 1e-6, "the step-0 parameters must be back");
        }
    }

    @Test
    void withoutRestoreTheLastParametersStay() {
        EarlyStopping es = EarlyStopping.builder()
                .validation(heldOut(0))
                .every(10)
                .patience(2)
                .restoreBest(false)
                .build();
        try (DenseModel s = DenseModel.create(ToyDomains.tinyModel(), 2)) {
            s.train(fineTune(0, 150, null));
            double start = s.loss(heldOut(0).get(0));
            s.train(fineTune(1, 200, es));
            assertTrue(s.loss(heldOut(0).get(0)) > start + 0.1, "fine-tuning on the other domain must have hurt");
        }
    }

    @Test
    void aSoupCannotUseEarlyStopping() {
        EarlyStopping es = EarlyStopping.builder().validation(heldOut(0)).build();
        try (SoupOfExperts soup = SoupOfExperts.builder()
                .model(ToyDomains.tinyModel())
                .domains(2)
                .experts(2)
                .seed(1)
                .build()) {
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class,
                    () -> soup.train(TrainingPlan.builder()
                            .source(new ToyDomains())
                            .metaDistribution(ToyDomains.meta())
                            .steps(5)
                            .contextLength(CONTEXT)
                            .earlyStopping(es)
                            .build()));
            assertTrue(e.getMessage().contains("plain models"), e.getMessage());
        }
    }

    @Test
    void badSettingsAreRejectedByName() {
        assertMessage("validation batches", () -> EarlyStopping.builder().build());
        assertMessage(
                "at least one validation batch",
                () -> EarlyStopping.builder().validation(List.of()).build());
        assertMessage(
                "every must be >= 1",
                () -> EarlyStopping.builder().validation(heldOut(0)).every(0).build());
        assertMessage(
                "patience must be >= 1",
                () -> EarlyStopping.builder().validation(heldOut(0)).patience(0).build());
        assertMessage(
                "minDelta",
                () -> EarlyStopping.builder()
                        .validation(heldOut(0))
                        .minDelta(-1)
                        .build());
        assertMessage(
                "same sequence length",
                () -> EarlyStopping.builder()
                        .validation(List.of(new ToyDomains().domain(0, 2, 3, 1), new ToyDomains().domain(0, 2, 4, 1)))
                        .build());
        EarlyStopping tooLong = EarlyStopping.builder()
                .validation(List.of(new ToyDomains().domain(0, 2, 40, 1)))
                .build();
        try (DenseModel s = DenseModel.create(ToyDomains.tinyModel(), 1)) {
            assertMessage(
                    "2 to 17 tokens",
                    () -> s.train(TrainingPlan.builder()
                            .source(new ToyDomains())
                            .metaDistribution(ToyDomains.only(0))
                            .steps(2)
                            .earlyStopping(tooLong)
                            .build()));
        }
    }

    private static void assertMessage(String part, Executable e) {
        Exception x = assertThrows(Exception.class, e);
        assertTrue(
                x.getMessage() != null && x.getMessage().contains(part),
                "expected '" + part + "' in: " + x.getMessage());
    }

    @Test
    void aRunThatDivergesLeavesTheBestParametersInPlaceNotNaN() {
        EarlyStopping es = EarlyStopping.builder()
                .validation(heldOut(0))
                .every(5)
                .patience(100)
                .build();
        try (DenseModel s = DenseModel.create(ToyDomains.tinyModel(), 4)) {
            s.train(fineTune(0, 100, null));
            double start = s.loss(heldOut(0).get(0));
            TrainingPlan explode = TrainingPlan.builder()
                    .source(new ToyDomains())
                    .metaDistribution(ToyDomains.only(0))
                    .steps(200)
                    .batchSize(BATCH)
                    .contextLength(CONTEXT)
                    .learningRate(1e9)
                    .warmup(0)
                    .gradClip(0)
                    .logEvery(0)
                    .seed(3)
                    .earlyStopping(es)
                    .build();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.train(explode));
            assertTrue(e.getMessage().contains("diverged"), e.getMessage());
            double after = s.loss(heldOut(0).get(0));
            assertTrue(Double.isFinite(after), "the restored model must be usable, got " + after);
            assertTrue(
                    after <= start + 1e-6,
                    "no worse than the best point (the start at worst): " + start + " -> " + after);
        }
    }
}
