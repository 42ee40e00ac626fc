package org.soupofexperts.core;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import org.junit.jupiter.api.Test;
import org.soupofexperts.testing.JavaMemoryRule;

class JavaMemoryRuleTest {

    @Test
    void noCoreCodeHandsLibTorchAJavaNumberAsAnArray() {
        JavaMemoryRule.check("org.soupofexperts.core");
    }

    /** A class that breaks the rule, so the rule is shown to catch what it is for. */
    static final class ScalesByANumber {
        NDArray half(NDArray x) {
            return x.mul(0.5);
        }
    }

    @Test
    @SuppressWarnings("checkstyle:inlineQualifiedName") // ArchUnit names the method's parameter type in full
    void theRuleCatchesAScalarOverload() {
        AssertionError e = assertThrows(
                AssertionError.class,
                () -> JavaMemoryRule.rule().check(new ClassFileImporter().importClasses(ScalesByANumber.class)));
        assertTrue(e.getMessage().contains("mul(java.lang.Number)"), e.getMessage());
    }
}
