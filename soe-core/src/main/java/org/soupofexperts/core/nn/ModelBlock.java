package org.soupofexperts.core.nn;

import ai.djl.MalformedModelException;
import ai.djl.nn.AbstractBlock;

import java.io.DataInputStream;
import java.io.DataOutputStream;

/**
 * Base of this library's DJL blocks. Their shapes come from their config, not from DJL's
 * input-shape inference, so the saved metadata is only DJL's version byte.
 */
public abstract class ModelBlock extends AbstractBlock {

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
            throw new MalformedModelException(
                    getClass().getSimpleName() + " parameters have version " + loadVersion
                            + ", this library reads " + version);
        }
    }
}
