package org.soupofexperts.core.djl;

import ai.djl.ndarray.types.Shape;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UTFDataFormatException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.io.NewFolder;
import org.soupofexperts.core.io.SoupFormatException;
import org.soupofexperts.core.io.internal.ArtifactDirectory;
import org.soupofexperts.core.io.internal.ConfigJson;
import org.soupofexperts.core.io.internal.StrictJson;
import org.soupofexperts.core.nn.GptModel;

/**
 * A specialist as a DJL model folder, which DJL's {@code Criteria} (and so DJL Serving) loads
 * with no code of the caller's: {@code <name>-0000.params} in DJL's format (the header of DJL's
 * {@code Model.save}, then the block's parameters), {@code serving.properties} naming this library's {@link
 * SpecialistBlockFactory} and {@link NextTokenTranslatorFactory}, and {@value #CONFIG} with the
 * model config, provenance and labels. {@code <name>} is the folder's name, the model name DJL
 * assumes for a folder; a renamed folder needs {@code Criteria.optModelName(<name>)}. Stateless;
 * thread-safe.
 */
public final class DjlModelFolder {

    /** The file with the model config, read by the block and translator factories. */
    public static final String CONFIG = "soup-model.json";

    private DjlModelFolder() {}

    /**
     * Writes {@code block} (a specialist's model, with its parameters) into the new folder
     * {@code dir}, atomically: a folder of the same parent is written and renamed, so {@code dir}
     * holds the whole export or does not exist.
     *
     * @param description a JSON object as text: the model config ({@code "model"}) and anything
     *     else to keep beside it
     * @throws FileAlreadyExistsException if {@code dir} exists
     * @throws SoupFormatException if {@code description} is not a JSON object
     */
    public static void write(Path dir, GptModel block, String description) throws IOException {
        JsonObject parsed = StrictJson.parseObject(description, "the DJL model's description");
        String name = dir.toAbsolutePath().normalize().getFileName().toString();
        NewFolder.write(dir, "DJL model", tmp -> {
            writeParameters(tmp.resolve(name + "-0000.params"), name, block);
            JsonObject withFormat = parsed.deepCopy();
            withFormat.addProperty("format", ArtifactDirectory.FORMAT);
            Files.writeString(
                    tmp.resolve(CONFIG),
                    new GsonBuilder().setPrettyPrinting().create().toJson(withFormat),
                    StandardCharsets.UTF_8);
            Files.writeString(
                    tmp.resolve("serving.properties"),
                    "engine=PyTorch\n"
                            + "blockFactory=" + SpecialistBlockFactory.class.getName() + "\n"
                            + "translatorFactory=" + NextTokenTranslatorFactory.class.getName() + "\n",
                    StandardCharsets.UTF_8);
        });
    }

    /**
     * DJL's parameter file as {@code BaseModel.save} writes it (magic, format version 1, model
     * name, data type, the input's name and shape, no properties), then the block's parameters.
     * DJL's own save refuses a block it did not initialise itself, which a specialist's is not.
     */
    private static void writeParameters(Path file, String name, GptModel block) throws IOException {
        try (DataOutputStream os =
                new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 20))) {
            os.writeBytes("DJL@");
            os.writeInt(1);
            os.writeUTF(name);
            os.writeUTF("FLOAT32");
            os.writeInt(1);
            os.writeUTF("tokens");
            os.write(new Shape(1, block.config().contextLength()).getEncoded());
            os.writeInt(0);
            block.saveParameters(os);
        }
    }

    /**
     * Before a block of {@code config} is built (which allocates its parameters): every {@code
     * .params} file of the folder must be a regular file that can hold 4 bytes per declared
     * parameter. A forged config of a 16,000,000-token vocabulary beside a small file allocated
     * 2.1 GB; a FIFO as the file blocked DJL's reader forever.
     */
    static void checkParameterFiles(Path dir, ModelConfig config) throws IOException {
        List<Path> params;
        try (Stream<Path> files = Files.list(dir)) {
            params = files.filter(f -> f.getFileName().toString().endsWith(".params"))
                    .toList();
        }
        if (params.isEmpty()) {
            throw new SoupFormatException(dir + " has no .params file: not a specialist exported for DJL");
        }
        long needed = 4L * config.parameterCount();
        for (Path f : params) {
            if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                throw new SoupFormatException(f + " is not a regular file (a link, folder, device or pipe)");
            }
            if (Files.size(f) < needed) {
                throw new SoupFormatException(f + " has " + Files.size(f) + " bytes; the model in " + CONFIG
                        + " declares " + config.parameterCount() + " float32 parameters (" + needed
                        + " bytes): truncated, or a forged config");
            }
            checkHeader(f, config);
        }
    }

    /**
     * The header {@link #writeParameters} writes, checked before DJL reads it: DJL sizes an array by
     * the shape's dimension count read from the file, so a forged count of 2^31 exhausted the heap.
     */
    private static void checkHeader(Path f, ModelConfig config) throws IOException {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(f), 1 << 12))) {
            byte[] magic = new byte[4];
            in.readFully(magic);
            int version = in.readInt();
            in.readUTF(); // the model's name: any (readUTF reads at most 65,535 bytes)
            String type = in.readUTF();
            int inputs = in.readInt();
            String input = in.readUTF();
            int dims = in.readInt();
            boolean ok = "DJL@".equals(new String(magic, StandardCharsets.US_ASCII))
                    && version == 1
                    && "FLOAT32".equals(type)
                    && inputs == 1
                    && "tokens".equals(input)
                    && dims == 2;
            if (ok) {
                long batch = in.readLong();
                long context = in.readLong();
                int layout = in.readInt();
                ok = batch == 1 && context == config.contextLength() && layout >= 0 && layout <= dims;
            }
            if (!ok) {
                throw new SoupFormatException(f + " does not begin with the header this library writes (DJL@, version"
                        + " 1, FLOAT32, one input 'tokens' of shape (1, " + config.contextLength() + ")):"
                        + " damaged, or a forged file");
            }
        } catch (EOFException | UTFDataFormatException e) {
            throw new SoupFormatException(f + " ends inside its header: damaged, or a forged file", e);
        }
    }

    /** The model config recorded in a folder written by {@link #write}. */
    public static ModelConfig config(Path dir) throws IOException {
        Path file = dir.resolve(CONFIG);
        if (!Files.isRegularFile(file)) {
            throw new SoupFormatException(dir + " has no " + CONFIG + ": not a specialist exported for DJL");
        }
        JsonObject o = StrictJson.readObject(file);
        // Exports of format 1 carried no format: their linear weights are in the other layout.
        ArtifactDirectory.checkFormat(
                o.has("format") ? StrictJson.string(o, "format", file.toString()) : "soupofexperts/1", file);
        return ConfigJson.model(StrictJson.object(o, "model", file.toString()));
    }
}
