package org.soupofexperts.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.soupofexperts.data.tokenize.ByteTokenizer;
import org.soupofexperts.testing.LayeringRules;

/** This module's packages form no cycle and use no other module's internal packages. */
class LayeringTest {

    @Test
    void packagesHaveNoCyclesAndUseNoInternals() {
        LayeringRules.checkModule("org.soupofexperts.data");
    }

    @Test
    void noPublicSignatureOfAnExportedPackageUsesGson() {
        String[] exported = ByteTokenizer.class.getModule().getDescriptor().exports().stream()
                .filter(e -> !e.isQualified())
                .map(e -> e.source())
                .toArray(String[]::new);
        assertEquals(10, exported.length, String.join(", ", exported));
        LayeringRules.noGsonInPublicSignatures(exported).check(LayeringRules.mainClasses("org.soupofexperts.data"));
    }

    @Test
    void testsRunInsideTheNamedModuleNotOnTheClassPath() {
        // No other module's test-jar splits this module's packages, so Surefire can patch the tests in.
        assertEquals("org.soupofexperts.data", ByteTokenizer.class.getModule().getName());
    }
}
