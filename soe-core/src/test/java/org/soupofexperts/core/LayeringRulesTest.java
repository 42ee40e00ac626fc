package org.soupofexperts.core;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.soupofexperts.testing.LayeringRules;

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

    @Test
    void theModuleExportsItsApiPackagesAndInternalOnlyToData() throws IOException {
        // The descriptor compiled next to the classes (on the class path, a resource lookup would find the JDK's).
        Path classes;
        try {
            classes = Path.of(SoupOfExperts.class
                    .getProtectionDomain()
                    .getCodeSource()
                    .getLocation()
                    .toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        ModuleDescriptor d;
        try (InputStream in = Files.newInputStream(classes.resolve("module-info.class"))) {
            d = ModuleDescriptor.read(in);
        }
        assertTrue(d.name().equals("org.soupofexperts.core"), d.name());
        for (ModuleDescriptor.Exports e : d.exports()) {
            if (e.source().endsWith(".internal")) {
                assertTrue(e.isQualified() && e.targets().equals(Set.of("org.soupofexperts.data")), e.toString());
            } else {
                assertTrue(!e.isQualified(), e.toString());
            }
        }
        // Every package of the module is exported: a new package must be added to the descriptor on purpose.
        assertTrue(d.exports().size() == d.packages().size(), d.exports() + " vs " + d.packages());
    }

    @Test
    void testsRunInsideTheNamedModuleNotOnTheClassPath() {
        // No other module's test-jar splits this module's packages, so Surefire can patch the tests in.
        assertTrue(
                "org.soupofexperts.core".equals(SoupOfExperts.class.getModule().getName()),
                String.valueOf(SoupOfExperts.class.getModule()));
    }
}
