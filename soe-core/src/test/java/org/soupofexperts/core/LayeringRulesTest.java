package org.soupofexperts.core;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import org.junit.jupiter.api.Test;

/** soe-core's packages keep their layers; the rules reject the faults they are written for. */
class LayeringRulesTest {

    private static final String CORE = "org.soupofexperts.core";
    private static final String FIXTURE = "org.soupofexperts.core.archfixture";

    @Test
    void coreHasNoPackageCycles() {
        LayeringRules.noPackageCycles().check(LayeringRules.mainClasses(CORE));
    }

    @Test
    void configAndBatchImportNothingAboveThem() {
        LayeringRules.leavesImportNothingAbove(CORE).check(LayeringRules.mainClasses(CORE));
    }

    @Test
    void coreLayersAreRespected() {
        LayeringRules.coreLayers(CORE).check(LayeringRules.mainClasses(CORE));
    }

    @Test
    void coreNeverImportsData() {
        LayeringRules.coreIgnoresData().check(LayeringRules.mainClasses(CORE));
    }

    @Test
    void cycleRuleRejectsAPackageCycle() {
        JavaClasses fixture = new ClassFileImporter().importPackages(FIXTURE + ".cycle");
        AssertionError e = assertThrows(
                AssertionError.class, () -> LayeringRules.noPackageCycles().check(fixture));
        assertTrue(e.getMessage().contains("Cycle detected"), e.getMessage());
    }

    @Test
    void leafRuleRejectsAConfigThatImportsABlock() {
        JavaClasses fixture = new ClassFileImporter().importPackages(FIXTURE + ".layers");
        AssertionError e = assertThrows(
                AssertionError.class,
                () -> LayeringRules.leavesImportNothingAbove(FIXTURE + ".layers")
                        .check(fixture));
        assertTrue(e.getMessage().contains("LeafConfig"), e.getMessage());
    }

    @Test
    void layerRuleRejectsAnUpwardDependency() {
        JavaClasses fixture = new ClassFileImporter().importPackages(FIXTURE + ".layers");
        AssertionError e = assertThrows(
                AssertionError.class,
                () -> LayeringRules.coreLayers(FIXTURE + ".layers").check(fixture));
        assertTrue(e.getMessage().contains("LeafConfig"), e.getMessage());
    }
}
