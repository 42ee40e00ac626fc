package org.soupofexperts.data;

import org.junit.jupiter.api.Test;
import org.soupofexperts.core.JavaMemoryRule;

class JavaMemoryRuleTest {

    @Test
    void noDataCodeHandsLibTorchAJavaNumberAsAnArray() {
        JavaMemoryRule.check("org.soupofexperts.data");
    }
}
