package org.soupofexperts.data.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.soupofexperts.core.DenseModel;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.Specialist;
import org.soupofexperts.core.batch.MetaDistribution;
import org.soupofexperts.core.batch.TokenBatch;
import org.soupofexperts.core.train.TrainingReport;
import org.soupofexperts.core.train.listener.SpecializationPoint;
import org.soupofexperts.core.train.listener.SpecializationProbe;
import org.soupofexperts.data.finetune.DomainWeightFit;
import org.soupofexperts.data.sample.MetaDistributions;
import org.soupofexperts.data.sample.WindowSampler;

/** One fold of {@link LeaveDomainsOut}: trains its models, then scores every held-out domain. */
final class FoldRun {

    private static final Logger LOG = LoggerFactory.getLogger(FoldRun.class);
    /** Validation windows per held-out domain in the h-gain probe. */
    private static final int PROBE_WINDOWS = 16;

    private final LeaveDomainsOut p;
    private final int index;
    private final List<Integer> heldOut;
    private final DomainSplit.Training training;
    private final MetaDistribution pi;
    private final WindowSampler sampler;
    private final double[] natural;
    private final int context;

    FoldRun(LeaveDomainsOut p, int index, List<Integer> heldOut, DomainSplit.Training training, MetaDistribution pi) {
        this.p = p;
        this.index = index;
        this.heldOut = heldOut;
        this.training = training;
        this.pi = pi;
        this.sampler = training.sampler();
        this.natural = sampler.domains().natural();
        this.context = p.schedule().contextLength();
    }

    /** The generic model at its better learning rate, and what the choice measured. */
    private record Generic(DenseModel model, double lr, double seconds, double[] loss, Map<Double, Double> means) {}

    /** Trains the generic model at each learning rate and keeps the one better on the held-out domains. */
    private Generic bestGeneric() {
        LeaveDomainsOut.Schedule s = p.schedule();
        Map<Double, Double> means = new LinkedHashMap<>();
        Generic best = null;
        for (double lr : s.genericLearningRates()) {
            DenseModel g = p.newGeneric();
            double secs = g.train(p.config(sampler, MetaDistributions.fixed(natural), s.steps(), lr))
                    .seconds();
            double[] at = heldOutLosses(g);
            double mean = mean(at);
            means.put(lr, mean);
            LOG.info("fold {}: generic model at lr {}: {} bits/byte on the held-out domains", index, lr, mean);
            if (best == null || mean < mean(best.loss())) {
                if (best != null) {
                    best.model().close();
                }
                best = new Generic(g, lr, secs, at, means);
            } else {
                g.close();
            }
        }
        return best;
    }

    UnseenDomains.FoldResult execute() {
        LeaveDomainsOut.Schedule s = p.schedule();
        Generic best = bestGeneric();
        double genericLr = best.lr();
        double[] genericLoss = best.loss();
        try (DenseModel g = best.model();
                SoupOfExperts soup = p.newSoup(training.domains().count())) {
            SpecializationProbe probe = p.probeEvery() > 0 ? probe() : null;
            UnseenDomains.EqualTime equal = null;
            TrainingReport report;
            if (p.equalTime()) {
                PacedTraining.Paced paced = paced(soup, genericLr, probe);
                report = paced.soup();
                equal = equalTime(soup, paced, genericLr);
            } else {
                report = soup.train(p.config(sampler, pi, s.steps(), s.soupLearningRate(), probe));
            }
            UnseenDomains.Fold fold = new UnseenDomains.Fold(
                    index,
                    p.names(heldOut),
                    training.domains().names(),
                    genericLr,
                    best.means(),
                    report.seconds(),
                    best.seconds(),
                    equal == null ? Double.NaN : equal.stepCostRatio(),
                    equal == null ? 0 : equal.genericSteps(),
                    curve(report),
                    equal);
            List<UnseenDomains.Domain> results = new ArrayList<>();
            for (int i = 0; i < heldOut.size(); i++) {
                double atEqualTime = equal == null ? Double.NaN : equal.generic()[i];
                results.add(domain(heldOut.get(i), soup, g, genericLoss[i], atEqualTime));
            }
            return new UnseenDomains.FoldResult(fold, results);
        }
    }

    /** The equal-time measurement alone: a paced soup, then the generic model for its time. */
    UnseenDomains.EqualTime equalTimeAlone(double genericLr) {
        try (SoupOfExperts soup = p.newSoup(training.domains().count())) {
            return equalTime(soup, paced(soup, genericLr, null), genericLr);
        }
    }

    /** Trains {@code soup} in turns paced by a model of the generic shape (see {@link PacedTraining}). */
    private PacedTraining.Paced paced(SoupOfExperts soup, double genericLr, SpecializationProbe probe) {
        LeaveDomainsOut.Schedule s = p.schedule();
        PacedTraining pacing = new PacedTraining(
                n -> p.plan(sampler, pi, n, s.soupLearningRate()),
                n -> p.plan(sampler, MetaDistributions.fixed(natural), n, genericLr));
        try (DenseModel pace = p.newGeneric()) {
            try (SoupOfExperts throwaway = p.newSoup(training.domains().count())) {
                pacing.warmUp(throwaway, pace, s.steps());
            }
            return pacing.train(soup, pace, s.steps(), probe);
        }
    }

    /** The generic model trained for the paced soup's time, scored with the soup at natural h. */
    private UnseenDomains.EqualTime equalTime(SoupOfExperts soup, PacedTraining.Paced paced, double genericLr) {
        double[] generic;
        try (DenseModel e = p.newGeneric()) {
            e.train(p.config(sampler, MetaDistributions.fixed(natural), paced.genericSteps(), genericLr));
            generic = heldOutLosses(e);
        }
        double[] soupNatural = new double[heldOut.size()];
        for (int i = 0; i < soupNatural.length; i++) {
            soupNatural[i] = loss(soup, natural, heldOut.get(i));
        }
        UnseenDomains.EqualTime e = new UnseenDomains.EqualTime(
                paced.turns(),
                paced.soup().steps(),
                paced.soup().seconds(),
                paced.genericSteps(),
                paced.genericSeconds(),
                generic,
                soupNatural);
        LOG.info(
                "fold {}: a soup step costs {} generic steps (paced over {} turns); the generic model trained {} steps",
                index,
                e.stepCostRatio(),
                e.turns(),
                e.genericSteps());
        return e;
    }

    /** Every model's loss on held-out domain d. */
    private UnseenDomains.Domain domain(int d, SoupOfExperts soup, DenseModel generic, double gen, double equal) {
        String name = p.store().domains().name(d);
        int windows = p.evalWindows();
        double soupNatural = loss(soup, natural, d);
        Map<Integer, Double> byN = new LinkedHashMap<>();
        double[] h = null;
        List<String> docs = null;
        for (int n : p.specialistDocuments().stream().sorted().toList()) {
            docs = Evaluation.trainingDocuments(p.store(), p.tokenizer(), d, n);
            h = training.assigner().domainWeights(docs);
            byN.put(n, loss(soup, h, d));
        }
        Oracle.Found oracle = Oracle.search(soup, p.store(), d, context, windows, h, natural);
        Fitted fit = fitted(soup, docs, h, d);
        double genericFt = Double.NaN;
        double soupFt = Double.NaN;
        if (p.fineTuneSteps() > 0) {
            try (DenseModel copy = LeaveDomainsOut.copy(generic);
                    Specialist spec = soup.instantiate(h)) {
                p.fineTune(copy, docs);
                genericFt = bits(copy, d);
                p.fineTune(spec, docs);
                soupFt = bits(spec, d);
            }
        }
        UnseenDomains.Domain r = new UnseenDomains.Domain(
                name,
                index,
                gen,
                equal,
                soupNatural,
                byN,
                oracle.best(),
                oracle.histogram(),
                genericFt,
                soupFt,
                fit.soupFitted(),
                fit.soupAlphaFitted(),
                fit.soupLayerFitted(),
                h,
                fit.hFitted(),
                fit.alphaFitted(),
                fit.layerAlphaFitted(),
                LeaveDomainsOut.stats(h));
        LOG.info(
                "fold {}: {}: generic {}, soup natural {}, histogram {}, oracle {} (histogram {} on the same half);"
                        + " fitted h {}, tuned alpha {}, layer-wise alpha {}; h {}",
                index,
                name,
                gen,
                soupNatural,
                byN,
                oracle.best(),
                oracle.histogram(),
                fit.soupFitted(),
                fit.soupAlphaFitted(),
                fit.soupLayerFitted(),
                r.stats());
        return r;
    }

    /** The fitted h and alpha of a held-out domain and the soup's losses there (NaN and null: not fitted). */
    private record Fitted(
            double[] hFitted,
            double soupFitted,
            double[] alphaFitted,
            double soupAlphaFitted,
            double[][] layerAlphaFitted,
            double soupLayerFitted) {}

    /** The fit to domain d's documents from their histogram h; not fitted when they are too short. */
    private Fitted fitted(SoupOfExperts soup, List<String> docs, double[] h, int d) {
        DomainWeightFit fit = p.fit(soup);
        if (!fit.canFit(docs)) {
            // The domain's other figures still stand; its fitted losses are NaN.
            LOG.warn(
                    "fold {}: {}: its documents hold less than one window: no fitted h",
                    index,
                    p.store().domains().name(d));
            return new Fitted(null, Double.NaN, null, Double.NaN, null, Double.NaN);
        }
        DomainWeightFit.Result r = fit.fit(docs, h);
        double soupFitted = loss(soup, r.h(), d);
        double[] alpha = null;
        double soupAlpha = Double.NaN;
        if (p.alphaFitEvaluations() > 0) {
            alpha = r.alpha();
            try (Specialist s = soup.instantiateAlpha(r.alpha(), r.h())) {
                soupAlpha = bits(s, d);
            }
        }
        if (p.layerFitSteps() == 0) {
            return new Fitted(r.h(), soupFitted, alpha, soupAlpha, null, Double.NaN);
        }
        try (Specialist s = soup.instantiateLayerAlpha(r.layerAlpha(), r.h())) {
            return new Fitted(r.h(), soupFitted, alpha, soupAlpha, r.layerAlpha(), bits(s, d));
        }
    }

    /**
     * A probe over the held-out domains: a batch of each one's validation windows at its histogram
     * h (largest N), against the natural h.
     */
    private SpecializationProbe probe() {
        int n = p.specialistDocuments().stream().max(Integer::compare).orElseThrow();
        List<TokenBatch> batches = new ArrayList<>();
        double[][] h = new double[heldOut.size()][];
        for (int i = 0; i < heldOut.size(); i++) {
            int d = heldOut.get(i);
            h[i] = training.assigner().domainWeights(Evaluation.trainingDocuments(p.store(), p.tokenizer(), d, n));
            long[] windows =
                    Evaluation.spreadWindows(Evaluation.validationWindows(p.store(), d, context), PROBE_WINDOWS);
            int[][] rows = new int[windows.length][];
            for (int w = 0; w < rows.length; w++) {
                rows[w] = p.store().readValid(d, windows[w] * context, context + 1);
            }
            batches.add(TokenBatch.of(rows));
        }
        return SpecializationProbe.builder()
                .heldOut(batches)
                .domainWeights(h)
                .reference(natural)
                .every(p.probeEvery())
                .build();
    }

    /** The probe's measurements in bits per byte of each held-out domain's validation split. */
    private List<UnseenDomains.CurvePoint> curve(TrainingReport report) {
        List<UnseenDomains.CurvePoint> curve = new ArrayList<>();
        for (SpecializationPoint sp : report.specialization()) {
            double[] gain = new double[heldOut.size()];
            double mean = 0;
            for (int i = 0; i < gain.length; i++) {
                int d = heldOut.get(i);
                double bytesPerToken =
                        (double) p.store().validBytes(d) / p.store().validTokens(d);
                gain[i] = sp.hMattersPerDomain()[i] / Math.log(2) / bytesPerToken;
                mean += gain[i] / gain.length;
            }
            curve.add(new UnseenDomains.CurvePoint(sp.step(), gain, mean));
            LOG.info("fold {}: step {}: h gain on the held-out domains {} bits/byte", index, sp.step(), mean);
        }
        return curve;
    }

    private double loss(SoupOfExperts soup, double[] h, int d) {
        try (Specialist s = soup.instantiate(h)) {
            return bits(s, d);
        }
    }

    private double bits(DenseModel m, int d) {
        return Evaluation.onValidation(m::loss, p.store(), d, context, p.evalWindows())
                .bitsPerByte();
    }

    private double[] heldOutLosses(DenseModel m) {
        double[] at = new double[heldOut.size()];
        for (int i = 0; i < at.length; i++) {
            at[i] = bits(m, heldOut.get(i));
        }
        return at;
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }
}
