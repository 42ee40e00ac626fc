package org.soupofexperts.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.soupofexperts.core.batch.TokenBatch;
import org.soupofexperts.core.config.ExpertInit;

/** instantiate(h) from many threads on one soup: the same specialists as one thread makes, nothing leaked. */
class ConcurrentInstantiationTest {

    @Test
    void eightThreadsTimes200InstantiationsGiveTheSequentialResultsAndHoldNoExtraArrays() throws Exception {
        long seed = 21;
        try (SoupOfExperts soup = SoupOfExperts.builder()
                .model(ToyDomains.tinyModel())
                .domains(2)
                .experts(3)
                .expertInit(ExpertInit.SCALED_NOISE)
                .seed(seed)
                .build()) {
            TokenBatch batch = new ToyDomains().domain(0, 2, 6, 5);
            double[][] hs = new double[8][];
            double[] expected = new double[8];
            for (int i = 0; i < 8; i++) {
                hs[i] = new double[] {i / 7.0, 1 - i / 7.0};
                try (Specialist s = soup.instantiate(hs[i])) {
                    expected[i] = s.loss(batch);
                }
            }
            int before = ResourceTest.liveArrays();
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<String>> results = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    int thread = t;
                    results.add(pool.submit(() -> {
                        StringBuilder wrong = new StringBuilder();
                        for (int r = 0; r < 200; r++) {
                            int i = (thread + r) % 8;
                            try (Specialist s = soup.instantiate(hs[i])) {
                                double loss = s.loss(batch);
                                if (loss != expected[i]) {
                                    wrong.append(" h")
                                            .append(i)
                                            .append(": ")
                                            .append(loss)
                                            .append(" vs ")
                                            .append(expected[i]);
                                }
                            }
                        }
                        return wrong.toString();
                    }));
                }
                for (Future<String> f : results) {
                    assertEquals(
                            "", f.get(), "concurrent specialists must equal the sequential ones (seed " + seed + ")");
                }
            } finally {
                pool.shutdownNow();
            }
            assertEquals(
                    before, ResourceTest.liveArrays(), "1,600 concurrent instantiations must not leave arrays behind");
        }
    }
}
