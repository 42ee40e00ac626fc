package org.soupofexperts.testing;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import ai.djl.ndarray.NDArray;
import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaMethodCall;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The rule that keeps LibTorch from holding Java memory: no library code calls a DJL
 * {@link NDArray} method that takes a Java {@link Number} ({@code mul(Number)}, {@code
 * add(Number)}, {@code pow(Number)}, ...). DJL wraps the number in an array over a Java buffer and
 * closes it right after the call, but an autograd graph keeps it for the backward pass, which
 * then reads memory the garbage collector may have freed and reused. {@code Djl.scalar} is the
 * replacement. Shared by the modules' tests (soe-testing).
 */
public final class JavaMemoryRule {

    private JavaMemoryRule() {}

    /** The rule, for the classes of {@code packageName} (main code only). */
    public static void check(String packageName) {
        JavaClasses classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages(packageName);
        rule().check(classes);
    }

    /** The rule itself (for a negative test on chosen classes). */
    public static ArchRule rule() {
        return noClasses()
                .should()
                .callMethodWhere(
                        new DescribedPredicate<JavaMethodCall>(
                                "an NDArray method that wraps a Java number in an array over Java memory (use Djl.scalar)") {
                            @Override
                            public boolean test(JavaMethodCall call) {
                                return call.getTargetOwner().isAssignableTo(NDArray.class)
                                        && call.getTarget().getRawParameterTypes().stream()
                                                .anyMatch(JavaMemoryRule::isBoxedNumber);
                            }
                        })
                .because("an autograd graph keeps such an array past its Java buffer's life (docs/reliability.md)");
    }

    private static boolean isBoxedNumber(JavaClass t) {
        return t.isEquivalentTo(Number.class);
    }
}
