package org.soupofexperts.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.soupofexperts.core.batch.TokenBatch;
import org.soupofexperts.core.config.SoupConfig;
import org.soupofexperts.core.train.TrainingPlan;
import org.soupofexperts.core.train.TrainingReport;
import org.soupofexperts.core.train.listener.SpecializationPoint;
import org.soupofexperts.core.train.listener.SpecializationProbe;

/** The diagnostics that tell a user whether a soup specializes. */
class SpecializationProbeTest {

    /** The toy's two domains, four experts. */
    private static final SoupConfig TOY_SOUP = SoupConfig.builder()
            .model(ToyDomains.tinyModel())
            .domains(2)
            .experts(4)
            .seed(7)
            .build();

    private static SpecializationProbe probe(ToyDomains data, int every) {
        List<TokenBatch> heldOut = List.of(data.domain(0, 64, 3, 200), data.domain(1, 64, 3, 201));
        return SpecializationProbe.builder()
                .heldOut(heldOut)
                .reference(new double[] {0.5, 0.5})
                .every(every)
                .build();
    }

    @Test
    void aSoupThatLearnsTwoDomainsShowsThatHMattersAndAnUntrainedOneShowsZero() {
        ToyDomains data = new ToyDomains();
        TrainingPlan cfg =
                data.trainingBuilder().specializationProbe(probe(data, 100)).build();
        try (SoupOfExperts soup = SoupOfExperts.create(TOY_SOUP)) {
            soup.train(cfg);
            TrainingReport r = soup.lastReport();
            List<SpecializationPoint> points = r.specialization();
            assertEquals(
                    List.of(0, 100, 200, 300),
                    points.stream().map(SpecializationPoint::step).toList());
            SpecializationPoint start = points.get(0);
            // Experts start at zero: every h gives the same weights, so h cannot matter yet.
            assertEquals(0.0, start.hMatters(), 0.0);
            assertTrue(Double.isNaN(start.expertCosine()), "no non-zero expert yet: " + start);
            SpecializationPoint end = r.lastSpecialization();
            assertTrue(end.hMatters() > 0.2, "the toy's domains differ from the first token on: " + end);
            for (int d = 0; d < 2; d++) {
                assertTrue(end.hMattersPerDomain()[d] > 0.1, "domain " + d + ": " + end);
                assertEquals(end.referenceLoss()[d] - end.ownLoss()[d], end.hMattersPerDomain()[d], 1e-12);
            }
            assertTrue(end.alphaSpread() > 0, end.toString());
            assertTrue(end.expertCosine() >= 0 && end.expertCosine() <= 1, end.toString());
            // The probe measured the soup as the library evaluates it.
            assertEquals(soup.loss(data.domain(0, 64, 3, 200), new double[] {1, 0}), end.ownLoss()[0], 1e-5);
            assertTrue(r.toString().contains("h matters"), r.toString());
        }
    }

    @Test
    void aProbeOfBatchesWithTheirOwnHMeasuresEachAtItsH() {
        // As for data the soup never trained on: any number of batches, each with its own h (its
        // histogram). A batch whose h is the reference gains exactly nothing; the same data at a
        // one-hot h gains what the one-per-domain probe measures for it.
        ToyDomains data = new ToyDomains();
        TokenBatch zero = data.domain(0, 64, 3, 200);
        SpecializationProbe probe = SpecializationProbe.builder()
                .heldOut(List.of(zero, data.domain(1, 64, 3, 201), zero))
                .domainWeights(new double[][] {{1, 0}, {0, 1}, {0.5, 0.5}})
                .reference(new double[] {0.5, 0.5})
                .every(150)
                .build();
        assertEquals(2, probe.numDomains());
        assertEquals(3, probe.numBatches());
        try (SoupOfExperts soup = SoupOfExperts.create(TOY_SOUP)) {
            soup.train(data.trainingBuilder().specializationProbe(probe).build());
            SpecializationPoint end = soup.lastReport().lastSpecialization();
            assertEquals(3, end.hMattersPerDomain().length);
            assertEquals(0.0, end.hMattersPerDomain()[2], 1e-6, "h = reference: " + end);
            assertTrue(end.hMattersPerDomain()[0] > 0.1, end.toString());
            assertEquals(end.ownLoss()[2], end.referenceLoss()[0], 1e-6, "same batch, same h: " + end);
        }
    }

    @Test
    void aSoupWhoseExpertsShareTheSecondMomentOfSStillSpecializes() {
        ToyDomains data = new ToyDomains();
        TrainingPlan cfg = data.trainingBuilder()
                .expertUpdate(TrainingPlan.ExpertUpdate.SHARED_SECOND_MOMENT)
                .skipIdleExperts(true)
                .build();
        try (SoupOfExperts soup = SoupOfExperts.create(TOY_SOUP)) {
            soup.train(cfg);
            data.assertSpecialistsWinOnTheirOwnDomain(soup);
        }
    }

    @Test
    void aProbeIsRefusedForAPlainModelAndForAnotherDomainCount() {
        ToyDomains data = new ToyDomains();
        TrainingPlan base = data.training();
        IllegalArgumentException plain = assertThrows(IllegalArgumentException.class, () -> {
            try (DenseModel s = DenseModel.create(ToyDomains.tinyModel(), 1)) {
                s.train(TrainingPlan.builder()
                        .source(data)
                        .metaDistribution(base.metaDistribution())
                        .steps(2)
                        .batchSize(4)
                        .contextLength(4)
                        .specializationProbe(probe(data, 1))
                        .build());
            }
        });
        assertTrue(plain.getMessage().contains("plain model"), plain.getMessage());
        IllegalArgumentException three = assertThrows(
                IllegalArgumentException.class,
                () -> SpecializationProbe.builder()
                        .heldOut(List.of(data.domain(0, 2, 3, 1), data.domain(1, 2, 3, 2), data.domain(1, 2, 3, 3)))
                        .reference(new double[] {0.5, 0.5})
                        .build());
        assertTrue(three.getMessage().contains("3 held-out batches for a soup of 2 domains"), three.getMessage());
        IllegalArgumentException fewerH = assertThrows(
                IllegalArgumentException.class,
                () -> SpecializationProbe.builder()
                        .heldOut(List.of(data.domain(0, 2, 3, 1), data.domain(1, 2, 3, 2), data.domain(1, 2, 3, 3)))
                        .domainWeights(new double[][] {{1, 0}, {0, 1}})
                        .reference(new double[] {0.5, 0.5})
                        .build());
        assertTrue(fewerH.getMessage().contains("3 held-out batches but 2 h"), fewerH.getMessage());
        IllegalArgumentException wrongK = assertThrows(
                IllegalArgumentException.class,
                () -> SpecializationProbe.builder()
                        .heldOut(List.of(data.domain(0, 2, 3, 1)))
                        .domainWeights(new double[][] {{0.2, 0.3, 0.5}})
                        .reference(new double[] {0.5, 0.5})
                        .build());
        assertTrue(wrongK.getMessage().contains("length"), wrongK.getMessage());
        IllegalArgumentException mismatch = assertThrows(
                IllegalArgumentException.class,
                () -> TrainingPlan.builder()
                        .source(data)
                        .metaDistribution(base.metaDistribution())
                        .specializationProbe(SpecializationProbe.builder()
                                .heldOut(List.of(data.domain(0, 2, 3, 1)))
                                .reference(new double[] {1.0})
                                .build())
                        .build());
        assertTrue(mismatch.getMessage().contains("probe has 1 domains"), mismatch.getMessage());
    }

    @Test
    void hPerStepMustDivideTheBatch() {
        ToyDomains data = new ToyDomains();
        TrainingPlan base = data.training();
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> TrainingPlan.builder()
                        .source(data)
                        .metaDistribution(base.metaDistribution())
                        .batchSize(16)
                        .hPerStep(3)
                        .build());
        assertTrue(e.getMessage().contains("must divide the batch size 16"), e.getMessage());
        assertEquals(
                16,
                TrainingPlan.builder()
                        .source(data)
                        .metaDistribution(base.metaDistribution())
                        .batchSize(16)
                        .build()
                        .soupStep()
                        .hPerStep(),
                "one h per sequence by default");
        assertThrows(
                IllegalArgumentException.class, () -> TrainingPlan.builder().hPerStep(-1));
    }
}
