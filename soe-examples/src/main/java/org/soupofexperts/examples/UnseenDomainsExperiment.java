package org.soupofexperts.examples;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Function;
import org.soupofexperts.core.DenseModel;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.config.ModelConfig;
import org.soupofexperts.core.config.RouterConfig;
import org.soupofexperts.data.embed.Embedder;
import org.soupofexperts.data.embed.MiniLmEmbedder;
import org.soupofexperts.data.eval.DomainSplit;
import org.soupofexperts.data.eval.LeaveDomainsOut;
import org.soupofexperts.data.eval.UnseenDomains;
import org.soupofexperts.data.sample.MetaDistributions;
import org.soupofexperts.data.store.TokenStore;
import org.soupofexperts.data.tokenize.ByteTokenizer;
import org.soupofexperts.examples.experiment.Commands;
import org.soupofexperts.examples.experiment.ExperimentCommand;
import org.soupofexperts.examples.experiment.ExperimentData;
import org.soupofexperts.examples.experiment.Parts;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Specialists for domains the soup never trained on ({@link LeaveDomainsOut}): each fold of the
 * labelled domains is held out in turn, a soup and the generic model train on the others, and the
 * held-out domains get their specialists by histogram. Each finished fold is kept under {@code
 * out/parts}, so the protocol can be run fold by fold ({@code --fold}) and across sessions; the
 * report (results.json, results.md) covers the folds finished so far.
 */
@Command(
        name = "unseen-domains",
        mixinStandardHelpOptions = true,
        description = "Leave-domains-out: specialists by histogram for domains the soup never trained on.")
public final class UnseenDomainsExperiment extends ExperimentCommand implements Callable<Integer> {

    @Option(names = "--out", required = true)
    Path out;

    @Option(names = "--steps", defaultValue = "1000")
    int steps;

    @Option(names = "--experts", defaultValue = "16")
    int experts;

    @Option(
            names = "--rank",
            defaultValue = "0",
            description = "the experts' rank (0: dense); n experts of rank r store about 2r/width of n dense ones")
    int rank;

    @Option(
            names = "--router",
            description =
                    "the router as OUTPUT:HIDDENxDEPTH, such as raw:64x1 or softmax:256x2 (default: the library's)")
    String router;

    @Option(names = "--lr", defaultValue = "3e-3", description = "the soup's learning rate")
    double lr;

    @Option(names = "--generic-lrs", split = ",", defaultValue = "3e-3,5e-3")
    List<Double> genericLrs;

    @Option(names = "--folds", defaultValue = "4")
    int folds;

    @Option(names = "--fold", description = "run only this fold (default: every fold not yet finished)")
    Integer fold;

    @Option(
            names = "--meta",
            defaultValue = "recommended",
            description =
                    "recommended | natural | one-hot | sparse:S1-S2 (support range, Dirichlet 1, a quarter natural)")
    String meta;

    @Option(names = "--domains", defaultValue = "labels", description = "labels | clusters:K")
    String domains;

    @Option(names = "--embedder", defaultValue = "hashed", description = "hashed | minilm (for clusters)")
    String embedder;

    @Option(names = "--equal-time", description = "also train the generic model for the soup's wall time")
    boolean equalTime;

    @Option(names = "--fine-tune-steps", defaultValue = "400")
    int fineTuneSteps;

    @Option(names = "--eval-windows", defaultValue = "64")
    int evalWindows;

    @Option(
            names = "--fit",
            defaultValue = "64x0",
            description = "the fit to the specialist documents: WINDOWSxEVALUATIONS[xALPHA_EVALUATIONS[xLAYER_STEPS]]"
                    + " (0: the fit's default; alpha and layer steps: 0, not run)")
    String fit;

    @Option(
            names = "--probe-every",
            defaultValue = "0",
            description = "measure the h gain on the held-out domains every this many soup steps (0: never)")
    int probeEvery;

    @Option(names = "--pace-kept-folds", description = "with --equal-time: pace kept folds timed by fresh blocks")
    boolean paceKept;

    public static void main(String[] args) {
        Commands.exit(new UnseenDomainsExperiment(), args);
    }

    @Override
    public Integer call() throws Exception {
        Files.createDirectories(out);
        TokenStore store = ExperimentData.prepare(corpus, out, 0, 0).store;
        ModelConfig model = model(256);
        LeaveDomainsOut protocol = LeaveDomainsOut.builder()
                .store(store, new ByteTokenizer())
                .folds(folds)
                .soup(k -> SoupOfExperts.builder()
                        .model(model)
                        .domains(k)
                        .experts(experts)
                        .expertRank(rank)
                        .router(routerConfig())
                        .seed(seed)
                        .build())
                .generic(s -> DenseModel.create(model, s))
                .metaDistribution(MetaDistributions.fromSpec(meta))
                .domains(split())
                .schedule(new LeaveDomainsOut.Schedule(steps, batch, context, lr, genericLrs, 3e-4))
                .specialistDocuments(20, 100)
                .fineTuneSteps(fineTuneSteps)
                .evalWindows(evalWindows)
                .fit(fitPart(0), fitPart(1))
                .alphaFit(fitPart(2))
                .layerFit(fitPart(3))
                .equalTime(equalTime)
                .probeEvery(probeEvery)
                .seed(seed)
                .build();
        Parts parts = new Parts(out, settings());
        for (int f = 0; f < protocol.folds().size(); f++) {
            if (fold == null || fold == f) {
                Optional<UnseenDomains.FoldResult> kept = parts.get("fold-" + f, UnseenDomains.FoldResult.class);
                if (kept.isEmpty()) {
                    parts.put("fold-" + f, protocol.run(f));
                } else if (equalTime && paceKept && kept.get().fold().equalTime() == null) {
                    parts.put("fold-" + f, protocol.paced(kept.get()));
                }
            }
        }
        List<UnseenDomains.FoldResult> done = new ArrayList<>();
        for (int f = 0; f < protocol.folds().size(); f++) {
            parts.get("fold-" + f, UnseenDomains.FoldResult.class).ifPresent(done::add);
        }
        List<UnseenDomains.Domain> all = new ArrayList<>();
        done.forEach(r -> all.addAll(r.domains()));
        Parts.write(out.resolve("results.json"), Parts.json(UnseenResults.of(done, settings())));
        Parts.write(out.resolve("results.md"), UnseenReport.markdown(all, done, settings()));
        return 0;
    }

    /** The {@code --router} spec, OUTPUT:HIDDENxDEPTH, or the library's default. */
    private RouterConfig routerConfig() {
        if (router == null) {
            return RouterConfig.defaults();
        }
        // The output's name may hold an x (softmax): split at the colon first.
        String[] parts = router.split(":");
        String[] shape = parts.length == 2 ? parts[1].split("x") : new String[0];
        if (shape.length != 2) {
            throw new IllegalArgumentException(
                    "--router must be OUTPUT:HIDDENxDEPTH (such as raw:64x1), got " + router);
        }
        try {
            return RouterConfig.of(
                    Integer.parseInt(shape[0]),
                    Integer.parseInt(shape[1]),
                    RouterConfig.Output.valueOf(parts[0].toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "--router must be OUTPUT:HIDDENxDEPTH with OUTPUT raw or softmax (such as raw:64x1), got " + router
                            + ": " + e.getMessage(),
                    e);
        }
    }

    private DomainSplit split() {
        Function<List<String>, Embedder> e =
                embedder.equals("minilm") ? docs -> new MiniLmEmbedder(512) : DomainSplit.hashed();
        return DomainSplit.fromSpec(domains, e);
    }

    private String settings() {
        // probeEvery only when set, so that folds finished before the option existed still match;
        // fit always, so that folds measured before the fit existed are not read as fitted; alpha's
        // budget only when tuned (parts without it read as not tuned: UnseenDomains.Domain).
        return String.format(
                        "corpus=%s steps=%d experts=%d lr=%s genericLrs=%s folds=%d meta=%s domains=%s embedder=%s"
                                + " equalTime=%s fineTune=%d evalWindows=%d base=%dx%d context=%d batch=%d seed=%d",
                        corpusName(),
                        steps,
                        experts,
                        lr,
                        genericLrs,
                        folds,
                        meta,
                        domains,
                        embedder,
                        equalTime,
                        fineTuneSteps,
                        evalWindows,
                        layers,
                        width,
                        context,
                        batch,
                        seed)
                + (probeEvery > 0 ? " probeEvery=" + probeEvery : "")
                + (rank > 0 ? " rank=" + rank : "")
                + (router != null ? " router=" + routerConfig() : "")
                + " fit=" + fitPart(0) + "x" + fitPart(1)
                + (fitPart(2) > 0 || fitPart(3) > 0 ? "x" + fitPart(2) : "")
                + (fitPart(3) > 0 ? "x" + fitPart(3) : "");
    }

    private int fitPart(int i) {
        String[] p = fit.split("x", -1);
        try {
            int v = p.length >= 2 && p.length <= 4 ? (i < p.length ? Integer.parseInt(p[i]) : 0) : -1;
            if (v >= (i == 0 ? 1 : 0)) {
                return v;
            }
        } catch (NumberFormatException e) {
            // the message below says what the option takes
        }
        throw new IllegalArgumentException(
                "--fit takes WINDOWSxEVALUATIONS[xALPHA_EVALUATIONS[xLAYER_STEPS]], windows at least 1, the others at"
                        + " least 0 (the fit's default; alpha, layers: not run), for example 64x120 or 64x120x160x40; got '"
                        + fit
                        + "'");
    }
}
