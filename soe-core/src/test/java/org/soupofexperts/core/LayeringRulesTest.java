package org.soupofexperts.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.TreeSet;
import java.util.stream.Stream;
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
    void theModuleExportsItsApiPackagesInternalOnlyToDataAndNotTheLoopsRooms() throws IOException {
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
        Set<String> closed = Set.of(CORE + ".train.loop", CORE + ".train.optimizer");
        Set<String> exported = new TreeSet<>();
        for (ModuleDescriptor.Exports e : d.exports()) {
            exported.add(e.source());
            if (e.source().endsWith(".internal")) {
                assertTrue(e.isQualified() && e.targets().equals(Set.of("org.soupofexperts.data")), e.toString());
            } else {
                assertTrue(!e.isQualified(), e.toString());
            }
        }
        // Every package but the training loop's private rooms is exported, and those are not: a new
        // package must be put on one side or the other on purpose.
        // The packages from the class files themselves: a descriptor read alone lists only those it names.
        Set<String> packages = new TreeSet<>();
        try (Stream<Path> files = Files.walk(classes)) {
            files.filter(f -> f.toString().endsWith(".class") && !f.endsWith("module-info.class"))
                    .forEach(f -> packages.add(classes.relativize(f.getParent())
                            .toString()
                            .replace(f.getFileSystem().getSeparator(), ".")));
        }
        assertTrue(packages.containsAll(closed), packages.toString());
        Set<String> expected = new TreeSet<>(packages);
        expected.removeAll(closed);
        assertEquals(expected, exported);
    }

    @Test
    void testsRunInsideTheNamedModuleNotOnTheClassPath() {
        // No other module's test-jar splits this module's packages, so Surefire can patch the tests in.
        assertTrue(
                "org.soupofexperts.core".equals(SoupOfExperts.class.getModule().getName()),
                String.valueOf(SoupOfExperts.class.getModule()));
    }
}
