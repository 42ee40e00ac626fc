package org.soupofexperts.core.train.optimizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.soupofexperts.core.batch.BatchSource;
import org.soupofexperts.core.batch.MetaDistribution;
import org.soupofexperts.core.batch.TokenBatch;
import org.soupofexperts.core.config.ExpertInit;
import org.soupofexperts.core.config.ExpertRanks;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.config.RouterConfig;
import org.soupofexperts.core.internal.Djl;
import org.soupofexperts.core.nn.GptModel;
import org.soupofexperts.core.nn.Router;
import org.soupofexperts.core.nn.SoupTensor;
import org.soupofexperts.core.nn.WeightInit;
import org.soupofexperts.core.train.ParamGroup;
import org.soupofexperts.core.train.TrainingPlan;

/** Each tensor's slots name the arrays of its parts; the options set the slots' hyperparameters. */
class ParameterSlotsTest {

    private static final BatchSource TWO_DOMAINS = new BatchSource() {
        @Override
        public int numDomains() {
            return 2;
        }

        @Override
        public TokenBatch sample(double[] h, int batchSize, int length, SplittableRandom rng) {
            return new TokenBatch(batchSize, length, new int[batchSize * length], null);
        }
    };

    @Test
    void everyTensorsSlotsHoldItsOwnArraysAndTheRouterComesLast() {
        ModelConfig c = ModelConfig.builder()
                .vocabSize(32)
                .layers(1)
                .dModel(8)
                .heads(1)
                .contextLength(4)
                .build();
        // Low-rank (rank 1) matrices where that is smaller; dense experts elsewhere.
        GptModel model = new GptModel(c, 3, ExpertRanks.uniform(1));
        Router router = new Router(2, 3, RouterConfig.defaults());
        try (NDManager m = Djl.newManager(null)) {
            var rng = new SplittableRandom(1);
            WeightInit.initialize(model.soupTensors(), m, rng, rng, ExpertInit.SCALED_NOISE);
            WeightInit.initialize(router.soupTensors(), m, rng, rng, ExpertInit.SCALED_NOISE);
            TrainingPlan cfg = TrainingPlan.builder()
                    .source(TWO_DOMAINS)
                    .metaDistribution(new MetaDistribution() {
                        @Override
                        public int numDomains() {
                            return 2;
                        }

                        @Override
                        public double[] sample(SplittableRandom r) {
                            return new double[] {0.5, 0.5};
                        }
                    })
                    .learningRateScale(ParamGroup.EXPERTS, 0.25)
                    .weightDecay(ParamGroup.SHARED, 0.1)
                    .expertUpdate(TrainingPlan.ExpertUpdate.SHARED_SECOND_MOMENT)
                    .build();
            ParameterSlots slots = new ParameterSlots(model, router, cfg);
            List<AdamW.Slot> all = slots.all();
            int lowRank = 0;
            for (ParameterSlots.TensorSlots t : slots.tensors()) {
                SoupTensor tensor = t.tensor();
                assertSame(tensor.shared().getArray(), all.get(t.shared()).weight(), tensor.name());
                assertSame(
                        tensor.bank().parameters().get(0).getArray(),
                        all.get(t.bank()).weight(),
                        tensor.name());
                assertEquals(0.25, all.get(t.bank()).lrScale(), tensor.name());
                assertEquals(tensor.decayed() ? 0.1 : 0.0, all.get(t.shared()).weightDecay(), tensor.name());
                if (tensor.lowRank()) {
                    lowRank++;
                    assertSame(
                            tensor.bank().parameters().get(1).getArray(),
                            all.get(t.bankV()).weight(),
                            tensor.name());
                    // A factor has its own second moment: its shape is not the shared tensor's.
                    assertEquals(-1, all.get(t.bank()).sharedMomentOf(), tensor.name());
                } else {
                    assertEquals(-1, t.bankV());
                    assertEquals(t.shared(), all.get(t.bank()).sharedMomentOf(), tensor.name());
                }
            }
            assertTrue(lowRank > 0, "the test model must mix dense and low-rank banks");
            List<SoupTensor> routerTensors = router.soupTensors();
            assertEquals(routerTensors.size(), slots.router().size());
            for (int i = 0; i < routerTensors.size(); i++) {
                assertSame(
                        routerTensors.get(i).shared().getArray(),
                        slots.router().get(i).weight());
            }
            assertEquals(all.size(), slots.weights().size());
        }
    }
}
