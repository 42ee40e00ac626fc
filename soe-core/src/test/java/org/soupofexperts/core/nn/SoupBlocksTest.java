package org.soupofexperts.core.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.soupofexperts.core.internal.Djl;

/** Each block with weights set by hand, so the expected output is computed on paper. */
class SoupBlocksTest {

    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = Djl.engine().newBaseManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private void set(SoupTensor t, float[] shared, float[] bank) {
        t.shared().setArray(manager.create(shared, t.shape()));
        if (bank != null) {
            t.bank().parameters().get(0).setArray(manager.create(bank, new Shape(t.experts(), t.numel())));
        }
    }

    @Test
    void linearWeightIsSharedPlusAlphaWeightedExperts() {
        // in=2, out=1, two experts. S = [1, 2], E1 = [10, 0], E2 = [0, 100]; bias S=0.5, E=[1, 2]
        SoupLinear lin = new SoupLinear("l", 2, 1, true, 2, 0.02);
        SoupTensor w = lin.soupTensors().get(0);
        SoupTensor b = lin.soupTensors().get(1);
        set(w, new float[] {1, 2}, new float[] {10, 0, 0, 100});
        set(b, new float[] {0.5f}, new float[] {1, 2});
        NDArray x = manager.create(new float[] {3, 4}, new Shape(1, 2));
        NDArray alpha = manager.create(new float[] {0.5f, -0.25f});
        // W = [1 + 5, 2 - 25] = [6, -23]; b = 0.5 + 0.5 - 0.5 = 0.5; y = 18 - 92 + 0.5
        NDArray y = lin.forward(null, new NDList(x, alpha), false).head();
        assertEquals(new Shape(1, 1), y.getShape());
        assertEquals(18 - 92 + 0.5, y.getFloat(0, 0), 1e-5);
        // Without alpha the block is plain: W = [1, 2], b = 0.5
        NDArray plain = lin.forward(null, new NDList(x), false).head();
        assertEquals(3 + 8 + 0.5, plain.getFloat(0, 0), 1e-5);
    }

    @Test
    void linearWeightIsStoredInByOutAsGpt2sConv1d() {
        // in=2, out=3: W (in x out) = [[1, 2, 3], [4, 5, 6]] row by row, bias [7, 8, 9]; x = [1, 10].
        // y = x W + b = [1 + 40, 2 + 50, 3 + 60] + b. Read (out x in), the same six values give
        // another answer, and a W of shape (3, 2) would not load.
        SoupLinear lin = new SoupLinear("l", 2, 3, true, 1, 0.02);
        assertEquals(new Shape(2, 3), lin.soupTensors().get(0).shape());
        set(lin.soupTensors().get(0), new float[] {1, 2, 3, 4, 5, 6}, new float[] {0, 0, 0, 0, 0, 0});
        set(lin.soupTensors().get(1), new float[] {7, 8, 9}, new float[] {0, 0, 0});
        NDArray x = manager.create(new float[] {1, 10}, new Shape(1, 2));
        NDArray y = lin.forward(null, new NDList(x), false).head();
        assertEquals(new Shape(1, 3), y.getShape());
        assertArrayEquals(new float[] {48, 60, 72}, y.toFloatArray(), 1e-5f);

        // Per group: group 0 at alpha 0 (W = S), group 1 at alpha 1 with E = [[0, 0, 1], [0, 0, 0]]:
        // only W[0][2] moves, so only the third output of group 1 changes, by x[0] = 2.
        SoupLinear grouped = new SoupLinear("l", 2, 3, true, 1, 0.02);
        set(grouped.soupTensors().get(0), new float[] {1, 2, 3, 4, 5, 6}, new float[] {0, 0, 1, 0, 0, 0});
        set(grouped.soupTensors().get(1), new float[] {7, 8, 9}, new float[] {0, 0, 0});
        NDArray xs = manager.create(new float[] {1, 10, 2, 0}, new Shape(2, 2));
        NDArray alpha = manager.create(new float[] {0, 1}, new Shape(2, 1));
        NDArray ys = grouped.forward(null, new NDList(xs, alpha), false).head();
        assertArrayEquals(new float[] {48, 60, 72, 2 + 7, 4 + 8, 6 + 2 + 9}, ys.toFloatArray(), 1e-5f);
    }

    @Test
    void perGroupAlphaGivesEachGroupOfRowsItsOwnWeights() {
        // The weights of linearWeightIsSharedPlusAlphaWeightedExperts, at two alphas at once.
        SoupLinear lin = new SoupLinear("l", 2, 1, true, 2, 0.02);
        set(lin.soupTensors().get(0), new float[] {1, 2}, new float[] {10, 0, 0, 100});
        set(lin.soupTensors().get(1), new float[] {0.5f}, new float[] {1, 2});
        NDArray x = manager.create(new float[] {3, 4, 1, 1}, new Shape(2, 2));
        NDArray alpha = manager.create(new float[] {0.5f, -0.25f, 0f, 1f}, new Shape(2, 2));
        // Group 0: W = [6, -23], b = 0.5. Group 1: W = [1, 102], b = 0.5 + 2 = 2.5.
        NDArray y = lin.forward(null, new NDList(x, alpha), false).head();
        assertEquals(new Shape(2, 1), y.getShape());
        assertArrayEquals(new float[] {18 - 92 + 0.5f, 1 + 102 + 2.5f}, y.toFloatArray(), 1e-4f);

        // Embedding: group g looks up in its own merged table.
        SoupEmbedding emb = new SoupEmbedding("e", 3, 2, 1, 0.02);
        set(emb.soupTensors().get(0), new float[] {0, 1, 2, 3, 4, 5}, new float[] {1, 1, 1, 1, 1, 1});
        NDArray ids = manager.create(new int[] {2, 0}, new Shape(2, 1));
        NDArray out = emb.forward(null, new NDList(ids, manager.create(new float[] {2f, -1f}, new Shape(2, 1))), false)
                .head();
        assertArrayEquals(new float[] {6, 7, -1, 0}, out.toFloatArray(), 1e-6f);

        // Layer norm: x = [1, 3] normalises to [-1, 1]; group 0 gain [2, 4] bias 5, group 1 gain [1, 1] bias 0.
        SoupLayerNorm ln = new SoupLayerNorm("n", 2, true, 1);
        set(ln.soupTensors().get(0), new float[] {1, 1}, new float[] {1, 3});
        set(ln.soupTensors().get(1), new float[] {0, 0}, new float[] {5, 5});
        NDArray xs = manager.create(new float[] {1, 3, 1, 3}, new Shape(2, 2));
        NDArray normed = ln.forward(null, new NDList(xs, manager.create(new float[] {1f, 0f}, new Shape(2, 1))), false)
                .head();
        assertArrayEquals(new float[] {3, 9, -1, 1}, normed.toFloatArray(), 1e-3f);
    }

    @Test
    void embeddingLooksUpMergedRows() {
        SoupEmbedding emb = new SoupEmbedding("e", 3, 2, 1, 0.02);
        set(emb.soupTensors().get(0), new float[] {0, 1, 2, 3, 4, 5}, new float[] {1, 1, 1, 1, 1, 1});
        NDArray ids = manager.create(new int[] {2, 0}, new Shape(1, 2));
        NDArray out = emb.forward(null, new NDList(ids, manager.create(new float[] {2f})), false)
                .head();
        assertEquals(new Shape(1, 2, 2), out.getShape());
        assertArrayEquals(new float[] {6, 7, 2, 3}, out.toFloatArray(), 1e-6f);
    }

    @Test
    void layerNormUsesMergedGainAndBias() {
        SoupLayerNorm ln = new SoupLayerNorm("n", 2, true, 1);
        set(ln.soupTensors().get(0), new float[] {1, 1}, new float[] {1, 3});
        set(ln.soupTensors().get(1), new float[] {0, 0}, new float[] {5, 5});
        // x = [1, 3] normalises to [-1, 1] (eps aside); gain = [2, 4], bias = [5, 5] at alpha=1
        NDArray x = manager.create(new float[] {1, 3}, new Shape(1, 2));
        NDArray out = ln.forward(null, new NDList(x, manager.create(new float[] {1f})), false)
                .head();
        assertArrayEquals(new float[] {3, 9}, out.toFloatArray(), 1e-3f);
    }

    @Test
    void alphaOfWrongLengthIsRejected() {
        SoupLinear lin = new SoupLinear("l", 2, 1, false, 3, 0.02);
        set(lin.soupTensors().get(0), new float[] {1, 2}, new float[6]);
        NDArray x = manager.create(new float[] {3, 4}, new Shape(1, 2));
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> lin.forward(null, new NDList(x, manager.create(new float[] {1f, 2f})), false));
        assertTrue(e.getMessage().contains("alpha has 2 entries"), e.getMessage());
    }

    @Test
    void blocksRoundTripThroughSaveAndLoad() throws Exception {
        SoupLinear lin = handSetLinear();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        lin.saveParameters(new DataOutputStream(bytes));
        SoupLinear copy = new SoupLinear("l", 2, 3, true, 2, 0.02);
        copy.loadParameters(manager, new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        for (int i = 0; i < 2; i++) {
            SoupTensor a = lin.soupTensors().get(i);
            SoupTensor b = copy.soupTensors().get(i);
            assertArrayEquals(
                    a.shared().getArray().toFloatArray(), b.shared().getArray().toFloatArray());
            assertArrayEquals(
                    a.bank().parameters().get(0).getArray().toFloatArray(),
                    b.bank().parameters().get(0).getArray().toFloatArray());
        }
    }

    /**
     * The parameter reader trusts no field of the stream: a forged dtype (which LibTorch answered
     * by aborting the JVM) and a forged data length (which DJL's decoder allocated) are refused
     * with the parameter's name, before any allocation.
     */
    @Test
    void forgedDtypesAndLengthsInAParameterStreamAreRefusedByName() throws Exception {
        SoupLinear lin = handSetLinear();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        lin.saveParameters(new DataOutputStream(out));
        byte[] good = out.toByteArray();

        byte[] dtype = replaceFirst(
                good, "FLOAT32".getBytes(StandardCharsets.UTF_8), "UNKNOWN".getBytes(StandardCharsets.UTF_8));
        MalformedModelException e = assertThrows(MalformedModelException.class, () -> load(dtype));
        assertTrue(e.getMessage().contains("parameter l.weight: dtype UNKNOWN"), e.getMessage());

        // The 24 data bytes of l.weight (2 x 3 float32) follow the byte-order mark '<' and their length.
        byte[] length = replaceFirst(
                good, new byte[] {'<', 0, 0, 0, 24}, new byte[] {'<', 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff});
        e = assertThrows(MalformedModelException.class, () -> load(length));
        assertTrue(e.getMessage().contains("2147483647 data bytes where"), e.getMessage());

        byte[] truncated = Arrays.copyOf(good, good.length - 5);
        assertThrows(EOFException.class, () -> load(truncated));
    }

    /** A 2 -> 3 linear block with two experts and hand-set values, to save. */
    private SoupLinear handSetLinear() {
        SoupLinear lin = new SoupLinear("l", 2, 3, true, 2, 0.02);
        set(lin.soupTensors().get(0), new float[] {1, 2, 3, 4, 5, 6}, new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12
        });
        set(lin.soupTensors().get(1), new float[] {7, 8, 9}, new float[] {1, 2, 3, 4, 5, 6});
        return lin;
    }

    private void load(byte[] stream) throws Exception {
        new SoupLinear("l", 2, 3, true, 2, 0.02)
                .loadParameters(manager, new DataInputStream(new ByteArrayInputStream(stream)));
    }

    private static byte[] replaceFirst(byte[] data, byte[] find, byte[] with) {
        outer:
        for (int i = 0; i + find.length <= data.length; i++) {
            for (int j = 0; j < find.length; j++) {
                if (data[i + j] != find[j]) {
                    continue outer;
                }
            }
            byte[] copy = data.clone();
            System.arraycopy(with, 0, copy, i, with.length);
            return copy;
        }
        throw new AssertionError("pattern not found in the parameter stream");
    }

    @Test
    void badSizesAreRejectedWithTheirNames() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new SoupLinear("q", 0, 2, true, 1, 0.02))
                .getMessage()
                .contains("in=0"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new SoupLinear("q", 2, 2, true, -1, 0.02))
                .getMessage()
                .contains("experts must be >= 0"));
    }
}
