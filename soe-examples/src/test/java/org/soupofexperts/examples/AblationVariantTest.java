package org.soupofexperts.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.soupofexperts.core.config.ExpertInit;
import org.soupofexperts.core.config.RouterConfig;

class AblationVariantTest {

    private static final AblationVariant D = new AblationVariant("d", 16, 4, 1.0, 0.25);

    @Test
    void eachWitherChangesItsOwnFieldAndNoOther() {
        RouterConfig.Output raw = RouterConfig.Output.RAW;
        assertEquals(new AblationVariant("x", 16, 4, 1.0, 0.25, ExpertInit.ZEROS, raw, 1.0, -1, 0, 1.0), D.named("x"));
        assertEquals(
                new AblationVariant("d", 64, 4, 1.0, 0.25, ExpertInit.ZEROS, raw, 1.0, -1, 0, 1.0), D.withExperts(64));
        assertEquals(
                new AblationVariant("d", 16, 9, 3.0, 0.25, ExpertInit.ZEROS, raw, 1.0, -1, 0, 1.0), D.withMeta(9, 3.0));
        assertEquals(
                new AblationVariant("d", 16, 4, 1.0, 0.25, ExpertInit.SCALED_NOISE, raw, 1.0, -1, 0, 1.0),
                D.withInit(ExpertInit.SCALED_NOISE));
        assertEquals(
                new AblationVariant(
                        "d", 16, 4, 1.0, 0.25, ExpertInit.ZEROS, RouterConfig.Output.SOFTMAX, 1.0, -1, 0, 1.0),
                D.withOutput(RouterConfig.Output.SOFTMAX));
        assertEquals(
                new AblationVariant("d", 16, 4, 1.0, 0.25, ExpertInit.ZEROS, raw, 0.5, -1, 0, 1.0),
                D.withExpertLr(0.5));
        assertEquals(
                new AblationVariant("d", 16, 4, 1.0, 0.25, ExpertInit.ZEROS, raw, 1.0, 0, 0, 1.0),
                D.withExpertDecay(0));
        assertEquals(
                new AblationVariant("d", 16, 4, 1.0, 0.25, ExpertInit.ZEROS, raw, 1.0, -1, 0.2, 1.0),
                D.withWarmStart(0.2));
        assertEquals(new AblationVariant("d", 16, 4, 1.0, 0.25, ExpertInit.ZEROS, raw, 1.0, -1, 0, 3.0), D.withLr(3));
    }

    @Test
    void theDefaultsKeepTheShortKeyAndAChangedKnobNamesItself() {
        assertEquals("soup-n16-s4-beta1.0-nat0.25", D.key());
        assertEquals(D.key(), D.named("another name").key(), "the key names the settings, not the row");
    }
}
