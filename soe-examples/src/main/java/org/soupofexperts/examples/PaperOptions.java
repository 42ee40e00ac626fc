package org.soupofexperts.examples;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.soupofexperts.core.config.RouterConfig;
import org.soupofexperts.core.io.Version;
import org.soupofexperts.core.train.AdamWSettings;
import org.soupofexperts.core.train.TrainingPlan;
import org.soupofexperts.examples.experiment.ExperimentCommand;
import org.soupofexperts.examples.experiment.MetaOptions;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@link PaperExperiment}'s options, and the settings string its kept parts depend on. */
abstract class PaperOptions extends ExperimentCommand {

    @Option(
            names = "--out",
            defaultValue = "target/experiment",
            description = "output folder (default ${DEFAULT-VALUE})")
    Path out;

    @Option(
            names = "--steps",
            defaultValue = "600",
            description = "training steps of the generic model, of each CRISP model and of the soup")
    int steps;

    @Option(names = "--experts", defaultValue = "16")
    int experts;

    @Option(
            names = "--lr",
            defaultValue = "3e-3",
            description = "peak learning rate of every model (default ${DEFAULT-VALUE})")
    double lr;

    @Mixin
    MetaOptions meta = new MetaOptions();

    @Option(
            names = "--crisp-domains",
            defaultValue = "2",
            description = "CRISP runs (one model each) for the first N domains")
    int crispDomains;

    @Option(
            names = "--finetune-domains",
            defaultValue = "3",
            description = "fine-tuning comparisons for the first N domains")
    int fineTuneDomains;

    @Option(names = "--finetune-docs", defaultValue = "20", description = "documents in each fine-tuning set")
    int fineTuneDocs;

    @Option(
            names = "--finetune-steps",
            defaultValue = "400",
            description = "most fine-tuning steps (early stopping may end sooner)")
    int fineTuneSteps;

    @Option(names = "--finetune-lr", defaultValue = "3e-4")
    double fineTuneLr;

    @Option(names = "--eval-windows", defaultValue = "64", description = "validation windows per domain")
    int evalWindows;

    @Option(
            names = "--h-per-step",
            defaultValue = "0",
            description = "domain weights per soup step m; 0 = one per sequence (default ${DEFAULT-VALUE})")
    int hPerStep;

    @Option(names = "--router", description = "router output RAW or SOFTMAX (default: the library's)")
    RouterConfig.Output router;

    @Option(names = "--expert-lr", description = "the experts' learning-rate scale (default: the library's)")
    Double expertLr;

    @Option(
            names = "--expert-update",
            defaultValue = "ADAM",
            description = "ADAM or SHARED_SECOND_MOMENT (default ${DEFAULT-VALUE})")
    TrainingPlan.ExpertUpdate expertUpdate;

    @Option(
            names = "--generic-lrs",
            split = ",",
            description = "more learning rates for the generic model; the better one is the"
                    + " baseline (default: --lr only)")
    List<Double> genericLrs = new ArrayList<>();

    @Option(
            names = "--equal-time",
            description = "also train the generic model (at its better lr) for as long as the soup trained")
    boolean equalTime;

    @Option(
            names = "--probe-every",
            defaultValue = "0",
            description = "measure h matters every N soup steps (0: never)")
    int probeEvery;

    /** What every kept part depends on (--crisp-domains and --finetune-domains only add parts). */
    String settings() {
        return String.join(
                " ",
                baseSettings(),
                "--steps=" + steps,
                "--experts=" + experts,
                "--lr=" + lr,
                meta.settings(),
                "--finetune-docs=" + fineTuneDocs,
                "--finetune-steps=" + fineTuneSteps,
                "--finetune-lr=" + fineTuneLr,
                "--eval-windows=" + evalWindows,
                "--h-per-step=" + hPerStep,
                "--router=" + (router == null ? "default" : router),
                "--expert-lr=" + (expertLr == null ? "default" : expertLr),
                "--expert-update=" + expertUpdate,
                // What the library decides by default changes between versions: parts of another version are not
                // reused.
                "(library " + Version.get() + ", router " + RouterConfig.defaults() + ", expert lr scale "
                        + AdamWSettings.defaultExpertLearningRateScale(experts) + ")");
    }
}
