package org.soupofexperts.core.train.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.soupofexperts.core.internal.Djl;
import org.soupofexperts.core.io.SoupFormatException;
import org.soupofexperts.core.io.internal.ArtifactDirectory;

/**
 * Reads a checkpoint written by {@link Checkpoints}: the artefact is verified (size and SHA-256),
 * then the step, byte order, array count and every shape against the live run before a byte is
 * copied, and every value is checked finite. Stateless.
 */
public final class CheckpointReader {

    private static final int BLOCK = 1 << 20;

    private CheckpointReader() {}

    /**
     * Reads checkpoint {@code dir}: verifies it, asks {@code targetsFor} for the live arrays its
     * trainer state needs (in the order they were written), fills them, and returns the state and
     * the losses.
     *
     * @param maxStep the largest step the resuming run can continue from (its total steps)
     */
    static Checkpoints.Read read(Path dir, Checkpoints.Targets targetsFor, int maxStep) throws IOException {
        ArtifactDirectory.Loaded a = ArtifactDirectory.open(dir, Checkpoints.KIND);
        JsonObject m = a.manifest();
        JsonElement state = m.get("state");
        if (state == null || !state.isJsonObject()) {
            throw new SoupFormatException(dir + " lacks the trainer state in its manifest");
        }
        List<NDArray> targets = targetsFor.of(state.getAsJsonObject());
        int step = Checkpoints.intField(m, "step", dir);
        if (step < 1 || step > maxStep) {
            throw new SoupFormatException(dir + " is a checkpoint of step " + step + ", but this run has " + maxStep
                    + " steps: resume needs the same training config");
        }
        if (!ByteOrder.nativeOrder().toString().equals(stringField(m, "byteOrder", dir))) {
            throw new SoupFormatException(dir + " was written on a machine of byte order " + m.get("byteOrder")
                    + "; this one is " + ByteOrder.nativeOrder());
        }
        if (Checkpoints.intField(m, "losses", dir) != step) {
            throw new SoupFormatException(dir + " must hold " + step + " losses, its manifest says " + m.get("losses"));
        }
        long expectedBytes = checkShapes(dir, m, targets, step);
        long actual = Files.size(a.parameters());
        if (actual != expectedBytes) {
            throw new SoupFormatException(dir + ": " + a.parameters().getFileName() + " has " + actual
                    + " bytes, but the shapes it lists need " + expectedBytes);
        }
        // Every value checked before any is copied: a refusal at the last array must not leave the
        // live soup half its own weights and half the checkpoint's.
        pass(dir, a.parameters(), targets, step, false);
        float[] losses = pass(dir, a.parameters(), targets, step, true);
        return new Checkpoints.Read(step, state.getAsJsonObject(), losses);
    }

    /** The arrays' shapes must be this run's; returns the parameter file's size they imply. */
    private static long checkShapes(Path dir, JsonObject m, List<NDArray> targets, int step)
            throws SoupFormatException {
        JsonElement shapesElement = m.get("arrays");
        if (shapesElement == null
                || !shapesElement.isJsonArray()
                || shapesElement.getAsJsonArray().size() != targets.size()) {
            throw new SoupFormatException(dir + " holds "
                    + (shapesElement != null && shapesElement.isJsonArray()
                            ? shapesElement.getAsJsonArray().size()
                            : "no list of")
                    + " arrays, but this run's training state has "
                    + targets.size() + ": it was written for another soup, model or optimizer setting");
        }
        JsonArray shapes = shapesElement.getAsJsonArray();
        JsonElement typesElement = m.get("dataTypes");
        if (typesElement != null
                && (!typesElement.isJsonArray() || typesElement.getAsJsonArray().size() != targets.size())) {
            throw new SoupFormatException(
                    dir + ": its dataTypes must list one type per array (" + targets.size() + ")");
        }
        long expectedBytes = 4L * step;
        for (int i = 0; i < targets.size(); i++) {
            NDArray target = targets.get(i);
            Shape live = target.getShape();
            if (!sameShape(shapes.get(i), live)) {
                throw new SoupFormatException(dir + ": array " + i + " has shape " + shapes.get(i)
                        + " but this run's is " + live + ": the checkpoint was written for another soup or model");
            }
            JsonElement type =
                    typesElement == null ? null : typesElement.getAsJsonArray().get(i);
            String written = type == null ? Checkpoints.FLOAT32 : type.isJsonPrimitive() ? type.getAsString() : "?";
            if (!written.equals(Checkpoints.typeName(target))) {
                throw new SoupFormatException(dir + ": array " + i + " is " + written + " but this run keeps it in "
                        + Checkpoints.typeName(target) + ": resume needs the same bankMoments setting");
            }
            expectedBytes = Math.addExact(
                    expectedBytes, Math.multiplyExact((long) Checkpoints.bytesPerValue(target), live.size()));
        }
        return expectedBytes;
    }

    /**
     * Reads the parameter file array by array (sized by the live arrays, never by the file),
     * checking every value, and with {@code copy} fills the live arrays; returns the losses.
     */
    private static float[] pass(Path dir, Path parameters, List<NDArray> targets, int step, boolean copy)
            throws IOException {
        float[] losses = new float[step];
        try (InputStream in = Files.newInputStream(parameters);
                DataInputStream din = new DataInputStream(new BufferedInputStream(in, BLOCK));
                Djl.NoGrad ng = Djl.noGrad()) {
            byte[] block = new byte[BLOCK];
            for (int i = 0; i < targets.size(); i++) {
                NDArray t = targets.get(i);
                if (!copy) {
                    // The check alone streams through one block: no array-sized buffer.
                    checkStreamed(din, block, Checkpoints.bytesPerValue(t), t.size(), dir, "array " + i);
                    continue;
                }
                // Sized by the live array, never by a number read from the file.
                ByteBuffer buf = ByteBuffer.allocateDirect(Math.toIntExact(Checkpoints.bytesPerValue(t) * t.size()))
                        .order(ByteOrder.nativeOrder());
                while (buf.hasRemaining()) {
                    int len = Math.min(block.length, buf.remaining());
                    din.readFully(block, 0, len);
                    buf.put(block, 0, len);
                }
                buf.flip();
                if (Checkpoints.bytesPerValue(t) == 2) {
                    checkFinite(buf.asShortBuffer(), dir, "array " + i);
                } else {
                    checkFinite(buf.asFloatBuffer(), dir, "array " + i);
                }
                if (copy) {
                    Checkpoints.copyInto(t, buf);
                }
            }
            ByteBuffer lb = ByteBuffer.allocate(4 * step).order(ByteOrder.nativeOrder());
            din.readFully(lb.array());
            // Every value must be finite (docs/reliability.md): a run stops at a non-finite loss, so
            // none of its checkpoints holds one.
            checkFinite(lb.asFloatBuffer(), dir, "its loss history");
            lb.asFloatBuffer().get(losses);
        } catch (EOFException e) {
            throw new SoupFormatException(dir + " ends before its last array", e);
        }
        return losses;
    }

    /** Reads {@code values} values of {@code bytesPerValue} bytes block by block, each checked finite. */
    private static void checkStreamed(
            DataInputStream din, byte[] block, int bytesPerValue, long values, Path dir, String what)
            throws IOException {
        long left = values * bytesPerValue;
        long first = 0; // index in the array of the block's first value, for the message
        while (left > 0) {
            int len = (int) Math.min(block.length, left); // the block is a multiple of 4 bytes
            din.readFully(block, 0, len);
            ByteBuffer b = ByteBuffer.wrap(block, 0, len).order(ByteOrder.nativeOrder());
            String where = what + " (values from " + first + ")";
            if (bytesPerValue == 2) {
                checkFinite(b.asShortBuffer(), dir, where);
            } else {
                checkFinite(b.asFloatBuffer(), dir, where);
            }
            first += len / bytesPerValue;
            left -= len;
        }
    }

    private static void checkFinite(FloatBuffer f, Path dir, String what) throws SoupFormatException {
        for (int i = 0; i < f.limit(); i++) {
            if (!Float.isFinite(f.get(i))) {
                throw new SoupFormatException(dir + ": " + what + " holds a non-finite value (" + f.get(i)
                        + ") at index " + i + "; a diverged run cannot be resumed");
            }
        }
    }

    /** The same check for bfloat16 values (the upper halves of float32 values). */
    private static void checkFinite(ShortBuffer f, Path dir, String what) throws SoupFormatException {
        for (int i = 0; i < f.limit(); i++) {
            float x = Float.intBitsToFloat(f.get(i) << 16);
            if (!Float.isFinite(x)) {
                throw new SoupFormatException(dir + ": " + what + " holds a non-finite value (" + x + ") at index " + i
                        + "; a diverged run cannot be resumed");
            }
        }
    }

    private static boolean sameShape(JsonElement e, Shape live) {
        if (!e.isJsonArray() || e.getAsJsonArray().size() != live.dimension()) {
            return false;
        }
        for (int d = 0; d < live.dimension(); d++) {
            JsonElement x = e.getAsJsonArray().get(d);
            if (!x.isJsonPrimitive()
                    || !x.getAsJsonPrimitive().isNumber()
                    || !x.getAsString().equals(Long.toString(live.get(d)))) {
                return false;
            }
        }
        return true;
    }

    private static String stringField(JsonObject o, String key, Path where) throws SoupFormatException {
        JsonElement e = o.get(key);
        if (e == null || !e.isJsonPrimitive()) {
            throw new SoupFormatException(where + ": the checkpoint's manifest lacks '" + key + "'");
        }
        return e.getAsString();
    }
}
