package org.soupofexperts.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.soupofexperts.testing.LayeringRules;

/** This module's packages form no cycle and use no other module's internal packages. */
class LayeringTest {

    @Test
    void packagesHaveNoCyclesAndUseNoInternals() {
        LayeringRules.checkModule("org.soupofexperts.serve");
    }

    @Test
    void noPublicSignatureOfTheServerUsesGson() {
        LayeringRules.noGsonInPublicSignatures("org.soupofexperts.serve")
                .check(LayeringRules.mainClasses("org.soupofexperts.serve"));
    }

    @Test
    void testsRunInsideTheNamedModuleNotOnTheClassPath() {
        // No other module's test-jar splits this module's packages, so Surefire can patch the tests in.
        assertEquals(
                "org.soupofexperts.serve", SpecialistServer.class.getModule().getName());
    }
}
