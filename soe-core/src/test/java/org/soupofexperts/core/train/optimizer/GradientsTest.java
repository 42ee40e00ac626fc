package org.soupofexperts.core.train.optimizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The optimizer's input names each slot's gradient, and refuses what cannot be one. */
class GradientsTest {

    @Test
    void slotsNotGivenReadTheirWeightsOwnGradient() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray g = m.zeros(new Shape(3, 4));
            NDArray groups = m.zeros(new Shape(2 * 3, 4));
            float[] alpha = {0.5f, 0.5f, 1, 0};
            Gradients in = Gradients.forGroups(3, 2).plain(0, g).grouped(2, groups, alpha);
            assertSame(g, in.given(0));
            assertNull(in.alpha(0));
            assertNull(in.given(1), "slot 1: its weight's own");
            assertSame(alpha, in.alpha(2));
            assertEquals(2, in.groups());
        }
    }

    @Test
    void whatCannotBeASlotsGradientIsRefusedByName() {
        try (NDManager m = NDManager.newBaseManager()) {
            Gradients in = Gradients.forGroups(2, 2);
            NDArray odd = m.zeros(new Shape(3, 3));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> in.plain(2, odd))
                    .getMessage()
                    .contains("slot 2 is not in [0, 2)"));
            assertThrows(IllegalArgumentException.class, () -> in.plain(0, null));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> in.grouped(1, odd, new float[] {1, 0}))
                    .getMessage()
                    .contains("2 equal parts"));
            assertTrue(assertThrows(
                            IllegalArgumentException.class,
                            () -> in.grouped(1, m.zeros(new Shape(4, 4)), new float[] {1, 0, 1}))
                    .getMessage()
                    .contains("alpha must hold 2 rows"));
            assertThrows(IllegalArgumentException.class, () -> Gradients.forGroups(2, 0));
        }
    }

    @Test
    void anUpdateForAnotherNumberOfSlotsIsRefused() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w = m.ones(new Shape(2));
            w.setRequiresGradient(true);
            try (AdamW opt = new AdamW(List.of(new AdamW.Slot(w, 1, 0)), 0.9, 0.95, 1e-8)) {
                assertTrue(
                        assertThrows(IllegalArgumentException.class, () -> opt.step(1e-3, 1, Gradients.own(2), false))
                                .getMessage()
                                .contains("gradients for 2 slots, this optimizer has 1"));
            }
        }
    }
}
