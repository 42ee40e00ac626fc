package org.soupofexperts.core;

import ai.djl.Device;
import org.soupofexperts.core.config.SoupConfig;

/**
 * Fluent builder of a soup ({@link SoupOfExperts#builder()}): the settings of {@link SoupConfig},
 * a device, then {@link #build()}. Not thread-safe.
 */
public final class SoupBuilder extends SoupConfig.Settings<SoupBuilder> {

    private Device device;

    SoupBuilder() {}

    @Override
    protected SoupBuilder self() {
        return this;
    }

    /** The device of the soup and its specialists (default: the engine's default device). */
    public SoupBuilder device(Device d) {
        this.device = d;
        return this;
    }

    /** The config this builder describes. */
    public SoupConfig config() {
        return toConfig();
    }

    /** Creates the soup. */
    public SoupOfExperts build() {
        return SoupOfExperts.create(toConfig(), device);
    }
}
