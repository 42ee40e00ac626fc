package org.soupofexperts.core.io.internal;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.soupofexperts.core.internal.Djl;
import org.soupofexperts.core.io.SoupFormatException;
import org.soupofexperts.core.nn.ModelBlock;
import org.soupofexperts.core.nn.SoupTensor;

/** Checks of freshly loaded parameters against the config that the manifest declares. */
public final class LoadedTensors {

    /**
     * Refuses to save parameters that hold NaN or infinity, naming the first such parameter: a load
     * refuses them, so such a save would replace a good artefact with one that no longer loads.
     */
    public static void requireFinite(Block block, Path dir) {
        for (var e : block.getParameters()) {
            // A scope per parameter: its temporaries (three of its size) are freed before the next.
            try (Djl.Scope scope = Djl.scope()) {
                NDArray a = e.getValue().getArray();
                if (a.isNaN().logicalOr(a.isInfinite()).any().getBoolean()) {
                    throw new IllegalStateException("parameter " + e.getKey() + " holds NaN or infinite values;"
                            + " not saved into " + dir + " (a load would refuse it; what is there is kept)");
                }
            }
        }
    }

    private LoadedTensors() {}

    /**
     * Reads the parameters of {@code blocks}, in order, from one parameter file into {@code
     * manager}; the reader refuses any value that is NaN or infinite.
     */
    public static void read(Path dir, Path parameterFile, NDManager manager, List<? extends ModelBlock> blocks)
            throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(parameterFile), 1 << 20)) {
            DataInputStream din = new DataInputStream(in);
            for (ModelBlock b : blocks) {
                b.loadParameters(manager, din);
            }
        } catch (MalformedModelException | IOException | RuntimeException e) {
            throw new SoupFormatException("cannot read the parameters of " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Every tensor must have the shape and dtype the config implies (a checksum only proves the
     * file is intact, not that it matches an edited manifest). Also detaches the arrays from any
     * {@link NDScope} the caller has open, so the loaded model outlives it.
     */
    public static void check(Path dir, List<SoupTensor> tensors) throws SoupFormatException {
        for (SoupTensor t : tensors) {
            check(dir, t.name(), t.shared().getArray(), t.shape());
            for (int i = 0; i < t.bank().parameters().size(); i++) {
                Parameter p = t.bank().parameters().get(i);
                check(dir, p.getName(), p.getArray(), t.bank().shapes().get(i));
            }
        }
    }

    private static void check(Path dir, String name, NDArray a, Shape expected) throws SoupFormatException {
        NDScope.unregister(a);
        if (!a.getShape().equals(expected) || a.getDataType() != DataType.FLOAT32) {
            throw new SoupFormatException(dir + ": tensor " + name + " is " + a.getDataType() + " " + a.getShape()
                    + " but the manifest's config needs float32 " + expected);
        }
        // Finiteness was checked as each value was read (ModelBlock.loadParameters), once.
    }

    /**
     * The parameter file must hold at least 4 bytes for each of the {@code parameters} float32
     * values the manifest's config declares, checked before any model is built from that config.
     */
    public static void checkFileHolds(Path dir, Path file, long parameters) throws IOException {
        long bytes = Files.size(file);
        if (parameters < 0 || parameters > bytes / 4) {
            throw new SoupFormatException(dir + ": the manifest's config declares " + parameters + " parameters ("
                    + (parameters < 0 ? "overflow" : 4 * parameters + " bytes") + ") but " + file.getFileName()
                    + " has only "
                    + bytes + " bytes: the manifest was edited or belongs to another model");
        }
    }
}
