package org.soupofexperts.core.djl;

import ai.djl.Model;
import ai.djl.nn.Block;
import ai.djl.nn.BlockFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.nn.GptModel;

/**
 * DJL's {@link BlockFactory} for a specialist exported by {@link DjlModelFolder}: the model block
 * of the config in the folder, whose parameters DJL then reads from the folder's
 * {@code .params} file (through this library's checked reader). Named in the folder's
 * {@code serving.properties}, so {@code Criteria} needs no block. Stateless; thread-safe.
 */
public final class SpecialistBlockFactory implements BlockFactory {

    private static final long serialVersionUID = 1L;

    @Override
    public Block newBlock(Model model, Path modelPath, Map<String, ?> arguments) throws IOException {
        ModelConfig config = DjlModelFolder.config(modelPath);
        DjlModelFolder.checkParameterFiles(modelPath, config);
        return new GptModel(config, 0);
    }
}
