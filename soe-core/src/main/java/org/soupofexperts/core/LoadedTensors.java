package org.soupofexperts.core;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import org.soupofexperts.core.io.SoupFormatException;
import org.soupofexperts.core.nn.SoupTensor;

import java.nio.file.Path;
import java.util.List;

/** Checks of freshly loaded parameters against the config that the manifest declares. */
final class LoadedTensors {

    private LoadedTensors() {}

    /**
     * Every tensor must have the shape and dtype the config implies (a checksum only proves the
     * file is intact, not that it matches an edited manifest). Also detaches the arrays from any
     * {@link NDScope} the caller has open, so the loaded model outlives it.
     */
    static void check(Path dir, List<SoupTensor> tensors) throws SoupFormatException {
        for (SoupTensor t : tensors) {
            check(dir, t.name(), t.shared().getArray(), t.shape());
            if (t.bank() != null) {
                check(dir, t.bank().getName(), t.bank().getArray(), t.bankShape());
            }
            if (t.bankV() != null) {
                check(dir, t.bankV().getName(), t.bankV().getArray(), t.bankVShape());
            }
        }
    }

    private static void check(Path dir, String name, NDArray a, Shape expected) throws SoupFormatException {
        NDScope.unregister(a);
        if (!a.getShape().equals(expected) || a.getDataType() != DataType.FLOAT32) {
            throw new SoupFormatException(dir + ": tensor " + name + " is " + a.getDataType() + " " + a.getShape()
                    + " but the manifest's config needs float32 " + expected);
        }
    }
}
