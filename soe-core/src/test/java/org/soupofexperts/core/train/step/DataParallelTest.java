package org.soupofexperts.core.train.step;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.soupofexperts.core.DenseModel;
import org.soupofexperts.core.SoupInternals;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.batch.BatchSource;
import org.soupofexperts.core.batch.MetaDistribution;
import org.soupofexperts.core.config.ExpertInit;
import org.soupofexperts.core.config.ExpertRanks;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.nn.SoupTensor;
import org.soupofexperts.core.train.ToySources;
import org.soupofexperts.core.train.TrainingPlan;

/** Two replicas on the CPU train exactly like one device on the same global batch. */
class DataParallelTest {

    private static final int VOCAB = ToySources.VOCAB;
    private static final BatchSource TOY = ToySources.COUNTING;
    private static final MetaDistribution PI = ToySources.UNIFORM_MIX;

    private static ModelConfig model() {
        return ModelConfig.builder()
                .vocabSize(VOCAB)
                .layers(2)
                .dModel(16)
                .heads(2)
                .mlpRatio(2)
                .contextLength(8)
                .build();
    }

    private static TrainingPlan.Builder training(int hPerStep, List<Device> devices) {
        return TrainingPlan.builder()
                .source(TOY)
                .metaDistribution(PI)
                .steps(6)
                .batchSize(8)
                .contextLength(6)
                .hPerStep(hPerStep)
                .learningRate(1e-2)
                .warmup(0)
                .gradClip(0.05)
                .logEvery(0)
                .seed(3)
                .stepAlgorithm(TrainingPlan.StepAlgorithm.AUTOGRAD)
                .devices(devices);
    }

    private static List<float[]> trainSoup(int hPerStep, List<Device> devices, ExpertRanks ranks) {
        try (SoupOfExperts soup = SoupOfExperts.builder()
                .model(model())
                .domains(2)
                .experts(3)
                .expertRanks(ranks)
                .expertInit(ExpertInit.SCALED_NOISE)
                .seed(11)
                .build()) {
            soup.train(training(hPerStep, devices).build());
            List<float[]> values = new ArrayList<>();
            for (SoupTensor t : SoupInternals.block(soup).soupTensors()) {
                values.add(t.shared().getArray().toFloatArray());
                t.bank().parameters().forEach(p -> values.add(p.getArray().toFloatArray()));
            }
            for (SoupTensor t : SoupInternals.router(soup).soupTensors()) {
                values.add(t.shared().getArray().toFloatArray());
            }
            values.add(new float[] {(float) soup.lastReport().finalLoss(1.0)});
            return values;
        }
    }

    private static void assertClose(List<float[]> expected, List<float[]> actual, String what) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i), actual.get(i), 2e-5f, "array " + i + " (" + what + ")");
        }
    }

    @Test
    void twoCpuReplicasGiveTheParametersOfOneDeviceForOneOrManyGroups() {
        Device cpu = Device.cpu();
        for (int m : new int[] {1, 2, 8}) {
            for (ExpertRanks ranks : List.of(ExpertRanks.dense(), ExpertRanks.uniform(2))) {
                List<float[]> one = trainSoup(m, List.of(), ranks);
                List<float[]> two = trainSoup(m, List.of(cpu, cpu), ranks);
                assertClose(one, two, "m=" + m + ", " + ranks);
            }
        }
    }

    @Test
    void twoReplicasTrainAPlainModelLikeOneDevice() {
        Device cpu = Device.cpu();
        List<float[]> results = new ArrayList<>();
        for (List<Device> devices : List.of(List.<Device>of(), List.of(cpu, cpu))) {
            try (DenseModel plain = DenseModel.create(model(), 5)) {
                plain.train(training(1, devices).build());
                float[] all = new float[0];
                for (SoupTensor t : plain.block().soupTensors()) {
                    float[] v = t.shared().getArray().toFloatArray();
                    float[] joined = new float[all.length + v.length];
                    System.arraycopy(all, 0, joined, 0, all.length);
                    System.arraycopy(v, 0, joined, all.length, v.length);
                    all = joined;
                }
                results.add(all);
            }
        }
        assertArrayEquals(results.get(0), results.get(1), 2e-5f);
        assertTrue(results.get(0).length > 0);
    }

    @Test
    void unevenSharesAndTheClosedFormAreRefusedWithTheReason() {
        Device cpu = Device.cpu();
        List<Device> three = List.of(cpu, cpu, cpu);
        IllegalArgumentException batch = assertThrows(
                IllegalArgumentException.class, () -> training(1, three).build());
        assertTrue(batch.getMessage().contains("batch size divisible by 3"), batch.getMessage());
        IllegalArgumentException groups = assertThrows(
                IllegalArgumentException.class,
                () -> training(4, three).batchSize(12).build());
        assertTrue(groups.getMessage().contains("multiple of 3 groups"), groups.getMessage());
        IllegalArgumentException closed = assertThrows(
                IllegalArgumentException.class,
                () -> training(1, List.of(cpu, cpu))
                        .stepAlgorithm(TrainingPlan.StepAlgorithm.CLOSED_FORM)
                        .build());
        assertTrue(closed.getMessage().contains("autograd step"), closed.getMessage());
    }

    @Test
    void devicesThatDoNotStartWithTheParametersOwnAreRefused() {
        try (DenseModel plain = DenseModel.create(model(), 5)) {
            Device elsewhere = plain.device().equals(Device.cpu()) ? Device.gpu(0) : Device.cpu();
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class,
                    () -> plain.train(
                            training(1, List.of(elsewhere, plain.device())).build()));
            assertTrue(e.getMessage().contains("must hold the parameters"), e.getMessage());
        }
    }
}
