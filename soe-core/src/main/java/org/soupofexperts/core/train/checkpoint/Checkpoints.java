package org.soupofexperts.core.train.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.soupofexperts.core.io.AtomicFile;
import org.soupofexperts.core.io.SoupFormatException;
import org.soupofexperts.core.io.Version;
import org.soupofexperts.core.io.internal.ArtifactDirectory;
import org.soupofexperts.core.train.CheckpointFolder;
import org.soupofexperts.core.train.CheckpointPolicy;
import org.soupofexperts.core.train.optimizer.AdamW;
import org.soupofexperts.core.train.optimizer.FusedAdamKernel;

/**
 * Training checkpoints on disk. Each is a folder {@code step-NNNNNNNN} (an {@link
 * ArtifactDirectory} of kind {@value #KIND}) holding the arrays of the whole training state as
 * raw float32 (bfloat16 for bfloat16 optimizer moments) in the machine's byte order, then the
 * losses so far, with a manifest that lists every array's shape and type and the trainer's scalar
 * state.
 *
 * <p>Writing is atomic twice over: the folder is written under a hidden temporary name and renamed
 * into place, and the artefact inside has its own checksummed manifest. A run killed mid-write
 * leaves a hidden {@code .step-*.tmp-*} folder, removed by the next checkpoint of that folder.
 * Older checkpoints beyond the policy's {@code keepLast} are deleted only after a new one is
 * complete, and only the files their manifest names.
 *
 * <p>Reading trusts nothing in the file: the checksum is verified first, every shape must equal the
 * live model's (nothing is allocated from a size read from the file), the file's length must be
 * exactly what those shapes imply, and every value must be finite.
 *
 * <p>Stateless and thread-safe; concurrent checkpoints into one folder are not supported.
 */
public final class Checkpoints {

    /** The artefact kind in a checkpoint's manifest. */
    static final String KIND = CheckpointFolder.KIND;

    /** Names of the array types in a checkpoint's {@code dataTypes}. */
    static final String FLOAT32 = "float32";

    static final String BFLOAT16 = "bfloat16";

    /** The name of an array's type in a checkpoint's manifest. */
    static String typeName(NDArray a) {
        return a.getDataType() == AdamW.BFLOAT16_CARRIER ? BFLOAT16 : FLOAT32;
    }

    /** Bytes per value of a checkpoint array like this live one. */
    static int bytesPerValue(NDArray a) {
        return a.getDataType() == AdamW.BFLOAT16_CARRIER ? 2 : 4;
    }

    private static final Logger LOG = LoggerFactory.getLogger(Checkpoints.class);
    private static final int BLOCK = 1 << 20;

    private Checkpoints() {}

    /**
     * Writes the checkpoint of {@code step} into the policy's folder and prunes older ones.
     *
     * @param state the trainer's scalar state (recorded in the manifest)
     * @param arrays the state's arrays, in an order the reader will give again
     * @param losses the first {@code step} training losses
     * @return the checkpoint's folder
     */
    public static Path write(CheckpointPolicy policy, int step, JsonObject state, List<NDArray> arrays, float[] losses)
            throws IOException {
        Path dir = policy.directory();
        Files.createDirectories(dir);
        CheckpointFolder.removeTemporaries(dir);
        String name = CheckpointFolder.nameOf(step);
        Path tmp = dir.resolve("." + name + ".tmp-" + UUID.randomUUID());
        JsonObject m = new JsonObject();
        m.addProperty("step", step);
        m.addProperty("byteOrder", ByteOrder.nativeOrder().toString());
        JsonArray shapes = new JsonArray();
        JsonArray types = new JsonArray();
        for (NDArray a : arrays) {
            if (a.getDataType() != DataType.FLOAT32 && a.getDataType() != AdamW.BFLOAT16_CARRIER) {
                throw new IllegalStateException(
                        "checkpoints hold float32 arrays and bfloat16 moments, got " + a.getDataType());
            }
            JsonArray s = new JsonArray();
            for (long d : a.getShape().getShape()) {
                s.add(d);
            }
            shapes.add(s);
            types.add(typeName(a));
        }
        m.add("arrays", shapes);
        // Absent in checkpoints from before bfloat16 moments: then every array is float32.
        m.add("dataTypes", types);
        m.addProperty("losses", step);
        m.add("state", state);
        m.addProperty("libraryVersion", Version.get());
        m.addProperty("createdAt", Instant.now().toString());
        try {
            ArtifactDirectory.save(tmp, KIND, m, out -> writeArrays(out, arrays, losses, step));
            Path target = dir.resolve(name);
            // A checkpoint of this step from an abandoned run: swap, then delete the old one (named
            // like a temporary, so a kill between the renames leaves it to the next clean-up).
            Path old = dir.resolve("." + name + ".tmp-" + UUID.randomUUID());
            if (AtomicFile.replaceFolder(tmp, target, old)) {
                CheckpointFolder.delete(old);
            }
            prune(dir, policy.keepLast(), step);
            return target;
        } finally {
            if (Files.exists(tmp, LinkOption.NOFOLLOW_LINKS)) {
                CheckpointFolder.delete(tmp);
            }
        }
    }

    private static void writeArrays(DataOutputStream out, List<NDArray> arrays, float[] losses, int count)
            throws IOException {
        byte[] block = new byte[BLOCK];
        for (NDArray a : arrays) {
            ByteBuffer b = a.toByteBuffer().order(ByteOrder.nativeOrder());
            while (b.hasRemaining()) {
                int len = Math.min(block.length, b.remaining());
                b.get(block, 0, len);
                out.write(block, 0, len);
            }
        }
        ByteBuffer lb = ByteBuffer.allocate(4 * count).order(ByteOrder.nativeOrder());
        lb.asFloatBuffer().put(losses, 0, count);
        out.write(lb.array());
    }

    /**
     * Reads checkpoint {@code dir}: verifies it, asks {@code targetsFor} for the live arrays its
     * trainer state needs (in the order they were written), fills them, and returns the state and
     * the losses (see {@link CheckpointReader}).
     *
     * @param maxStep the largest step the resuming run can continue from (its total steps)
     */
    public static Read read(Path dir, Targets targetsFor, int maxStep) throws IOException {
        return CheckpointReader.read(dir, targetsFor, maxStep);
    }

    /** The live arrays a checkpoint with this trainer state fills, in the order they were written. */
    @FunctionalInterface
    public interface Targets {
        List<NDArray> of(JsonObject state) throws SoupFormatException;
    }

    /**
     * Copies values into the array's own memory. Not {@code NDArray.set} where the fused
     * optimizer has a view of that memory: on PyTorch it points the tensor at the given buffer,
     * and the view would then read and write freed memory.
     */
    public static void copyInto(NDArray t, ByteBuffer values) {
        values.order(ByteOrder.nativeOrder());
        if (t.getDataType() == AdamW.BFLOAT16_CARRIER) {
            ByteBuffer own = t.toByteBuffer(true);
            if (own.isDirect() && own.capacity() == 2L * t.size()) {
                own.put(0, values, values.position(), values.remaining());
                return;
            }
        }
        FloatBuffer own = FusedAdamKernel.supports(t) ? FusedAdamKernel.buffer(t) : null;
        if (own != null && own.capacity() == t.size()) {
            own.put(0, values.asFloatBuffer(), 0, Math.toIntExact(t.size()));
            return;
        }
        // No direct view of the memory (another device, or a copy): then nothing else views it
        // either, and the engine's own copy is right (it also overwrites NaN, which w*0 + x keeps).
        t.set(
                values.isDirect()
                        ? values
                        : ByteBuffer.allocateDirect(values.remaining())
                                .order(ByteOrder.nativeOrder())
                                .put(values.duplicate())
                                .flip());
    }

    /** What {@link #read} found besides the arrays it filled. */
    public record Read(int step, JsonObject state, float[] losses) {}

    static int intField(JsonObject o, String key, Path where) throws SoupFormatException {
        JsonElement e = o.get(key);
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw new SoupFormatException(where + ": the checkpoint's manifest lacks the integer '" + key + "'");
        }
        try {
            return Integer.parseInt(e.getAsString());
        } catch (NumberFormatException x) {
            throw new SoupFormatException(where + ": '" + key + "' is not an int: " + e.getAsString(), x);
        }
    }

    /** Keeps the newest {@code keep} checkpoints. */
    /**
     * Deletes the checkpoints of steps past {@code step} (a run abandoned later than this one got,
     * whose newer checkpoints would otherwise be the newest, the one a resume picks, and would push
     * this run's own out of the {@code keep} kept), then all but the {@code keep} newest.
     */
    private static void prune(Path dir, int keep, int step) throws IOException {
        for (Path p : CheckpointFolder.list(dir)) {
            if (CheckpointFolder.stepOf(p) > step) {
                LOG.warn(
                        "deleting checkpoint {}: it is past step {} of the run writing here (from another run)",
                        p,
                        step);
                CheckpointFolder.delete(p);
            }
        }
        List<Path> all = CheckpointFolder.list(dir);
        for (int i = 0; i < all.size() - keep; i++) {
            CheckpointFolder.delete(all.get(i));
            LOG.debug("old checkpoint {} deleted", all.get(i));
        }
    }
}
