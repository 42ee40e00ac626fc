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

    /** The packages users program against: exported to everyone. */
    static final Set<String> API = Set.of(
            CORE,
            CORE + ".batch",
            CORE + ".config",
            CORE + ".djl",
            CORE + ".io",
            CORE + ".nn",
            CORE + ".train",
            CORE + ".train.listener");

    /** Exported to soe-data only (Lucene's qualified exports of its internal packages). */
    static final Set<String> FOR_DATA = Set.of(CORE + ".internal", CORE + ".io.internal");

    /** Not exported: the training loop's rooms. */
    static final Set<String> CLOSED =
            Set.of(CORE + ".train.loop", CORE + ".train.step", CORE + ".train.optimizer", CORE + ".train.checkpoint");

    @Test
    void theModuleExportsExactlyItsApiPackagesAndItsInternalsOnlyToData() throws IOException {
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
        assertEquals("org.soupofexperts.core", d.name());
        Set<String> open = new TreeSet<>();
        Set<String> qualified = new TreeSet<>();
        for (ModuleDescriptor.Exports e : d.exports()) {
            if (e.isQualified()) {
                assertEquals(Set.of("org.soupofexperts.data"), e.targets(), e.toString());
                qualified.add(e.source());
            } else {
                open.add(e.source());
            }
        }
        assertEquals(new TreeSet<>(API), open);
        assertEquals(new TreeSet<>(FOR_DATA), qualified);
        // Every package is on one of the three lists: a new one must be put on one on purpose.
        // The packages from the class files themselves: a descriptor read alone lists only those it names.
        Set<String> packages = new TreeSet<>();
        try (Stream<Path> files = Files.walk(classes)) {
            files.filter(f -> f.toString().endsWith(".class") && !f.endsWith("module-info.class"))
                    .forEach(f -> packages.add(classes.relativize(f.getParent())
                            .toString()
                            .replace(f.getFileSystem().getSeparator(), ".")));
        }
        Set<String> listed = new TreeSet<>(API);
        listed.addAll(FOR_DATA);
        listed.addAll(CLOSED);
        assertEquals(listed, packages);
        assertTrue(
                !d.requires().stream()
                        .anyMatch(r -> r.name().equals("com.google.gson")
                                && r.modifiers().contains(ModuleDescriptor.Requires.Modifier.TRANSITIVE)),
                "Gson must not be passed on to users: " + d.requires());
    }

    @Test
    void onlyAtomicFileRenamesAtomicallyInCore() {
        LayeringRules.onlyAtomicFileRenamesAtomically().check(LayeringRules.mainClasses(CORE));
    }

    @Test
    void atomicRenameRuleRejectsAWriterWithItsOwnAtomicMove() {
        JavaClasses fixture = new ClassFileImporter().importPackages(FIXTURE + ".rename");
        AssertionError e = assertThrows(
                AssertionError.class,
                () -> LayeringRules.onlyAtomicFileRenamesAtomically().check(fixture));
        assertTrue(e.getMessage().contains("OwnRename.publish"), e.getMessage());
    }

    @Test
    void noPublicSignatureOfAnApiPackageUsesGson() {
        LayeringRules.noGsonInPublicSignatures(API.toArray(String[]::new)).check(LayeringRules.mainClasses(CORE));
    }

    @Test
    void gsonRuleRejectsAPublicMethodReturningAListOfJsonObjects() {
        JavaClasses fixture = new ClassFileImporter().importPackages(FIXTURE + ".gson");
        AssertionError e = assertThrows(
                AssertionError.class,
                () -> LayeringRules.noGsonInPublicSignatures(FIXTURE + ".gson").check(fixture));
        assertTrue(e.getMessage().contains("LeakyApi.manifests()"), e.getMessage());
        assertTrue(e.getMessage().contains("LeakyApi.state"), e.getMessage());
        assertTrue(e.getMessage().contains("LeakyApi.forSubclasses()"), e.getMessage());
        assertTrue(e.getMessage().contains("LeakyAdapter"), e.getMessage());
        assertTrue(!e.getMessage().contains("LeakyApi.quiet"), e.getMessage());
    }

    @Test
    void testsRunInsideTheNamedModuleNotOnTheClassPath() {
        // No other module's test-jar splits this module's packages, so Surefire can patch the tests in.
        assertTrue(
                "org.soupofexperts.core".equals(SoupOfExperts.class.getModule().getName()),
                String.valueOf(SoupOfExperts.class.getModule()));
    }
}
