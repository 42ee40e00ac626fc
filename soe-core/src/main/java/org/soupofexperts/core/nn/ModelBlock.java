package org.soupofexperts.core.nn;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.soupofexperts.core.internal.Djl;

/**
 * Base of this library's DJL blocks. Their shapes come from their config, not from DJL's
 * input-shape inference, so the saved metadata is only DJL's version byte.
 *
 * <p>Parameters are written in DJL's encoding but read by this class, not by DJL's decoder,
 * which allocates from lengths in the file ({@code new long[readInt()]}, a direct buffer of
 * {@code readInt()} bytes) and hands a file-supplied dtype to LibTorch (a forged one aborted the
 * JVM). Here every field must be what the block declares: the name, float32, dense, the exact
 * shape and byte count; the only allocation is the declared parameter's own size.
 */
public abstract class ModelBlock extends AbstractBlock {

    /** Layout strings hold one character per dimension at most. */
    private static final int MAX_LAYOUT = 64;

    protected ModelBlock(byte version) {
        super(version);
    }

    @Override
    protected void saveMetadata(DataOutputStream os) {
        // Shapes are derived from the config recorded in the manifest.
    }

    @Override
    protected void loadMetadata(byte loadVersion, DataInputStream is) throws MalformedModelException {
        if (loadVersion != version) {
            throw new MalformedModelException(getClass().getSimpleName() + " parameters have version " + loadVersion
                    + ", this library reads " + version);
        }
    }

    /** The shape a direct parameter of this block must have; blocks that declare parameters say. */
    protected Shape declaredShape(Parameter p) throws MalformedModelException {
        throw new MalformedModelException(getClass().getSimpleName() + " declares no parameter " + p.getName());
    }

    @Override
    public void loadParameters(NDManager manager, DataInputStream is) throws IOException, MalformedModelException {
        loadMetadata(is.readByte(), is);
        for (Parameter p : getDirectParameters().values()) {
            p.setArray(readArray(manager, is, p.getName(), declaredShape(p)));
        }
        for (Block child : getChildren().values()) {
            child.loadParameters(manager, is);
        }
    }

    /** Storage, dtype and shape, which must be dense float32 of the declared shape (nothing is sized by the file). */
    private static void readTypeAndShape(DataInputStream in, String name, Shape declared)
            throws IOException, MalformedModelException {
        String sparse = in.readUTF();
        if (!"DENSE".equals(sparse)) {
            throw bad(name, "storage " + sparse + " (only DENSE is read)");
        }
        String dtype = in.readUTF();
        if (!DataType.FLOAT32.name().equals(dtype)) {
            throw bad(name, "dtype " + dtype + " (only FLOAT32 is read)");
        }
        int ndim = in.readInt();
        if (ndim != declared.dimension()) {
            throw bad(name, ndim + " dimensions where the config declares " + declared);
        }
        for (int d = 0; d < ndim; d++) {
            long size = in.readLong();
            if (size != declared.get(d)) {
                throw bad(name, "dimension " + d + " is " + size + " where the config declares " + declared);
            }
        }
    }

    private static NDArray readArray(NDManager manager, DataInputStream in, String name, Shape declared)
            throws IOException, MalformedModelException {
        char tag = in.readChar();
        if (tag != 'P') {
            throw bad(name, "expected a stored array (tag 'P'), found tag " + (int) tag);
        }
        expect(name, "encoding version", in.readByte(), 1);
        String stored = in.readUTF();
        if (!stored.equals(name)) {
            throw bad(name, "the file holds parameter '" + stored + "' at its place");
        }
        if (!"NDAR".equals(in.readUTF())) {
            throw bad(name, "no array header");
        }
        // DJL 0.35's array encoding, version 3: an optional name, storage, dtype, shape, byte order, data.
        expect(name, "array version", in.readInt(), 3);
        int named = in.readByte();
        if (named == 1) {
            in.readUTF();
        } else if (named != 0) {
            throw bad(name, "a malformed array name flag " + named);
        }
        readTypeAndShape(in, name, declared);
        int layout = in.readInt();
        if (layout < 0 || layout > MAX_LAYOUT) {
            throw bad(name, "a layout of " + layout + " characters");
        }
        for (int i = 0; i < layout; i++) {
            in.readChar();
        }
        int order = in.readByte();
        int nativeOrder = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? '<' : '>';
        if (order != nativeOrder) {
            throw bad(name, "byte order '" + (char) order + "' (this machine reads '" + (char) nativeOrder + "')");
        }
        long bytes = 4L * declared.size();
        int length = in.readInt();
        if (length != bytes) {
            throw bad(name, length + " data bytes where " + declared + " float32 needs " + bytes);
        }
        ByteBuffer data = manager.allocateDirect(length).order(ByteOrder.nativeOrder());
        byte[] block = new byte[Math.min(length, 1 << 16)];
        while (data.hasRemaining()) {
            int n = Math.min(block.length, data.remaining());
            in.readFully(block, 0, n);
            data.put(block, 0, n);
        }
        data.rewind();
        FloatBuffer values = data.asFloatBuffer();
        for (int i = 0; i < values.limit(); i++) {
            if (!Float.isFinite(values.get(i))) {
                throw bad(
                        name,
                        "holds NaN or infinite values (" + values.get(i) + " at index " + i
                                + "; a diverged or damaged model)");
            }
        }
        // The byte buffer itself (a float view would be copied once more), then into engine memory.
        return Djl.engineOwned(manager.create(data, declared, DataType.FLOAT32));
    }

    private static void expect(String name, String what, int actual, int wanted) throws MalformedModelException {
        if (actual != wanted) {
            throw bad(name, what + " " + actual + " (this library reads " + wanted + ")");
        }
    }

    private static MalformedModelException bad(String name, String problem) {
        return new MalformedModelException("parameter " + name + ": " + problem);
    }
}
