package org.soupofexperts.testing;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.members;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.domain.JavaMember;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.domain.JavaType;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.CompositeArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The layering of the library, as ArchUnit rules shared by the modules' tests (soe-testing).
 * Each rule takes the base package it applies to, so that {@code LayeringRulesTest} can
 * show it failing on a synthetic class set with the fault it forbids.
 *
 * <p>soe-core, bottom to top: {@code config} and {@code batch} (what a soup is, and batches: leaves
 * that import nothing of ours above them) and {@code internal}; {@code nn} (the blocks) and {@code
 * io} (file formats); {@code train} (the training configuration and report, with its rooms {@code
 * train.checkpoint}, {@code train.optimizer}, {@code train.step} and {@code train.loop}) and {@code djl} (DJL model
 * folders); the facade (the root package) on top.
 */
public final class LayeringRules {

    private LayeringRules() {}

    /** The main (non-test) classes of a package and its subpackages. */
    public static JavaClasses mainClasses(String packageName) {
        return new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages(packageName);
    }

    /** No two packages of the classes checked depend on each other, directly or through others. */
    public static ArchRule noPackageCycles() {
        // Every package its own slice, the base package included (a pattern of base.(**) would
        // leave the base package out, and with it the facade of soe-core).
        return slices().matching("org.soupofexperts.(**)")
                .should()
                .beFreeOfCycles()
                .allowEmptyShould(true)
                .because("a package cycle makes the packages one unit that cannot be read or changed apart");
    }

    /**
     * The leaf packages: {@code base.config} imports nothing of ours outside itself, {@code
     * base.batch} nothing but itself and config.
     */
    public static ArchRule leavesImportNothingAbove(String base) {
        ArchRule config = noClasses()
                .that()
                .resideInAPackage(base + ".config..")
                .should()
                .dependOnClassesThat(
                        resideInAPackage("org.soupofexperts..").and(not(resideInAPackage(base + ".config.."))));
        ArchRule batch = noClasses()
                .that()
                .resideInAPackage(base + ".batch..")
                .should()
                .dependOnClassesThat(resideInAPackage("org.soupofexperts..")
                        .and(not(resideInAPackage(base + ".config..")))
                        .and(not(resideInAPackage(base + ".batch.."))))
                .allowEmptyShould(true);
        return CompositeArchRule.of(config)
                .and(batch)
                .because("what a soup is and what a batch is must be readable without the rest");
    }

    /** The layers of soe-core under {@code base} (see the class comment). */
    public static ArchRule coreLayers(String base) {
        return layeredArchitecture()
                .consideringOnlyDependenciesInLayers()
                .withOptionalLayers(true)
                .layer("facade")
                .definedBy(base)
                .layer("training")
                .definedBy(base + ".train..", base + ".djl..")
                .layer("model")
                .definedBy(base + ".nn..", base + ".io..")
                .layer("foundation")
                .definedBy(base + ".config..", base + ".batch..", base + ".internal..")
                .whereLayer("facade")
                .mayNotBeAccessedByAnyLayer()
                .whereLayer("training")
                .mayOnlyBeAccessedByLayers("facade")
                .whereLayer("model")
                .mayOnlyBeAccessedByLayers("facade", "training");
    }

    /** soe-core never imports soe-data (data builds on core, not the reverse). */
    public static ArchRule coreIgnoresData() {
        return noClasses()
                .that()
                .resideInAPackage("org.soupofexperts.core..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("org.soupofexperts.data..");
    }

    /**
     * soe-core's packages that no other module uses (not exported): the training loop's rooms and
     * how it writes and reads checkpoints.
     */
    public static final String[] CORE_PRIVATE = {
        "org.soupofexperts.core.train.loop..",
        "org.soupofexperts.core.train.step..",
        "org.soupofexperts.core.train.optimizer..",
        "org.soupofexperts.core.train.checkpoint.."
    };

    /** The JSON library the artefacts are read and written with: kept out of the API. */
    public static final String GSON = "com.google.gson..";

    /**
     * No public method, constructor or field of a public class in {@code packages} takes, returns
     * or holds a Gson type (generic arguments included, as in {@code List<JsonObject>}): users of
     * the API must not need the JSON library the library happens to use, nor its version.
     */
    public static ArchRule noGsonInPublicSignatures(String... packages) {
        ArchRule types = classes()
                .that()
                .arePublic()
                .and()
                .resideInAnyPackage(packages)
                .should(new ArchCondition<JavaClass>("extend or implement no Gson type") {
                    @Override
                    public void check(JavaClass c, ConditionEvents events) {
                        List<JavaType> supers = new ArrayList<>(c.getAllRawSuperclasses());
                        supers.addAll(c.getAllRawInterfaces());
                        report(c, c.getName(), supers, events);
                    }
                })
                .allowEmptyShould(true);
        ArchRule members = members()
                .that(VISIBLE)
                .and()
                .areDeclaredInClassesThat()
                .arePublic()
                .and()
                .areDeclaredInClassesThat()
                .resideInAnyPackage(packages)
                .should(new ArchCondition<JavaMember>("take, return or hold no Gson type") {
                    @Override
                    public void check(JavaMember member, ConditionEvents events) {
                        List<JavaType> types = new ArrayList<>();
                        if (member instanceof JavaCodeUnit unit) {
                            types.addAll(unit.getParameterTypes());
                            types.add(unit.getReturnType());
                            types.addAll(unit.getThrowsClause().getTypes());
                        } else if (member instanceof JavaField field) {
                            types.add(field.getType());
                        }
                        report(member, member.getFullName(), types, events);
                    }
                })
                .allowEmptyShould(true);
        return CompositeArchRule.of(types)
                .and(members)
                .because("Gson is how the library stores its files, not part of its API");
    }

    /** Members a user's code can reach: public, or protected (a subclass sees them). */
    private static final DescribedPredicate<JavaMember> VISIBLE = DescribedPredicate.describe(
            "are public or protected",
            m -> m.getModifiers().contains(JavaModifier.PUBLIC)
                    || m.getModifiers().contains(JavaModifier.PROTECTED));

    private static void report(Object owner, String name, List<JavaType> types, ConditionEvents events) {
        for (JavaType t : types) {
            for (JavaClass c : t.getAllInvolvedRawTypes()) {
                if (c.getPackageName().startsWith("com.google.gson")) {
                    events.add(SimpleConditionEvent.violated(owner, name + " uses " + c.getName()));
                }
            }
        }
    }

    /**
     * Code outside the modules that own them does not use the internal packages: soe-core's
     * {@code internal} is for soe-core and soe-data (the only qualified user), its training loop's
     * rooms ({@link #CORE_PRIVATE}) for soe-core, soe-data's {@code internal} for soe-data, and
     * soe-core's {@code io.internal} (how artefacts are stored) for soe-core, soe-data and the
     * {@code soe} tool, which reads any artefact's manifest.
     */
    public static ArchRule internalsStayInside() {
        ArchRule owned = noClasses()
                .that(not(resideInAPackage("org.soupofexperts.core.."))
                        .and(not(resideInAPackage("org.soupofexperts.data.."))))
                .should()
                .dependOnClassesThat()
                .resideInAPackage("org.soupofexperts.core.internal..")
                .orShould()
                .dependOnClassesThat()
                .resideInAnyPackage(CORE_PRIVATE)
                .orShould()
                .dependOnClassesThat()
                .resideInAPackage("org.soupofexperts.data.internal..")
                .allowEmptyShould(true);
        ArchRule files = noClasses()
                .that(not(resideInAPackage("org.soupofexperts.core.."))
                        .and(not(resideInAPackage("org.soupofexperts.data..")))
                        .and(not(resideInAPackage("org.soupofexperts.cli.."))))
                .should()
                .dependOnClassesThat()
                .resideInAPackage("org.soupofexperts.core.io.internal..")
                .allowEmptyShould(true);
        return CompositeArchRule.of(owned)
                .and(files)
                .because("internal packages may change in any release; only the modules that own them use them");
    }

    /** The library's one atomic rename. */
    @SuppressWarnings("checkstyle:inlineQualifiedName") // soe-testing depends on no module of ours
    public static final String ATOMIC_FILE = "org.soupofexperts.core.io.AtomicFile";

    /**
     * Only {@code AtomicFile} renames with {@code ATOMIC_MOVE}: one place decides the temporary
     * names, the sync before the rename and the error on a file system that cannot rename
     * atomically, instead of a copy of that logic per writer.
     */
    public static ArchRule onlyAtomicFileRenamesAtomically() {
        return noClasses()
                .that()
                .doNotHaveFullyQualifiedName(ATOMIC_FILE)
                .should()
                .accessField(StandardCopyOption.class, "ATOMIC_MOVE")
                .because("AtomicFile.write, rename and replaceFolder are the one atomic-write utility");
    }

    /**
     * What every module's own test checks on its main classes: no package cycles, no use of
     * another module's internal packages, and no atomic rename outside {@code AtomicFile}.
     */
    public static void checkModule(String base) {
        JavaClasses classes = mainClasses(base);
        noPackageCycles().check(classes);
        internalsStayInside().check(classes);
        onlyAtomicFileRenamesAtomically().check(classes);
    }
}
