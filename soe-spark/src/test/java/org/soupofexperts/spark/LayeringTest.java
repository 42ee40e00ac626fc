package org.soupofexperts.spark;

import org.junit.jupiter.api.Test;
import org.soupofexperts.testing.LayeringRules;

/** This module's packages form no cycle and use no other module's internal packages. */
class LayeringTest {

    @Test
    void packagesHaveNoCyclesAndUseNoInternals() {
        LayeringRules.checkModule("org.soupofexperts.spark");
    }
}
