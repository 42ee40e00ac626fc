package org.soupofexperts.data;

import org.junit.jupiter.api.Test;
import org.soupofexperts.testing.JavaMemoryRule;

class JavaMemoryRuleTest {

    @Test
    void noDataCodeHandsLibTorchAJavaNumberAsAnArray() {
        JavaMemoryRule.check("org.soupofexperts.data");
    }
}
