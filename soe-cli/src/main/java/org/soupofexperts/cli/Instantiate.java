package org.soupofexperts.cli;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.core.Specialist;
import org.soupofexperts.data.cluster.NearestCentroidAssigner;
import org.soupofexperts.data.finetune.DomainWeightFit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code soe instantiate}: a specialist for h (given, or the histogram of documents), saved or exported. */
@Command(
        name = "instantiate",
        footerHeading = "%nExamples:%n",
        footer = {
            "  soe instantiate --soup run/soup --docs a.txt,b.txt --out spec --safetensors spec.safetensors",
            "  soe instantiate --soup run/soup --h python=0.7,c=0.3 --out spec-py",
            "  soe instantiate --soup run/soup --docs a.txt,b.txt --fit --tune-alpha 160 --out spec-tuned",
            "  soe instantiate --soup run/soup --docs a.txt,b.txt --fit --tune-alpha 160 --layer-steps 50 --out spec-l"
        },
        mixinStandardHelpOptions = true,
        description =
                "Make the specialist for h (given, or from documents) and save it; optionally also as safetensors.")
final class Instantiate implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--soup", required = true, description = "a soup saved by 'soe train'")
    Path soupDir;

    @Option(
            names = "--h",
            split = ",",
            description = "domain weights: one number per domain (0.7,0.3,0), or by name"
                    + " (python=0.7,c=0.3; unnamed domains get 0)")
    List<String> h;

    @Option(names = "--docs", split = ",", description = "or: document files whose histogram is h (see --fit)")
    List<Path> docs;

    @Option(
            names = "--fit",
            description = "with --docs: h fitted to the documents' own tokens, starting from their histogram")
    boolean fit;

    @Option(
            names = "--tune-alpha",
            paramLabel = "LOSSES",
            description = "with --fit: then tune the expert coefficients alpha on the same tokens, computing at most"
                    + " this many losses (about 4 per expert; 0: h only)")
    int tuneAlpha;

    @Option(
            names = "--layer-steps",
            paramLabel = "STEPS",
            description = "with --fit: then give every layer its own alpha by this many gradient steps on the same"
                    + " tokens (0: one alpha for the whole model)")
    int layerSteps;

    @Option(names = "--out", required = true, description = "folder for the specialist")
    Path out;

    @Option(names = "--safetensors", description = "also write the weights here in the safetensors format")
    Path safetensors;

    @Option(names = "--force", description = "replace a specialist already saved in --out, and the --safetensors file")
    boolean force;

    @Option(
            names = "--json",
            description = "print {\"domains\": [...], \"h\": [...], \"alpha\": [...], \"milliseconds\": ...,"
                    + " \"saved\": ...} for scripts (and \"layerAlpha\": [[...], ...] with --layer-steps)")
    boolean json;

    @Override
    public Integer call() throws IOException {
        if ((h == null) == (docs == null)) {
            throw new IllegalArgumentException("give either --h or --docs");
        }
        if (fit && docs == null) {
            throw new IllegalArgumentException("--fit fits h to the documents of --docs; give --docs");
        }
        if (tuneAlpha < 0 || (tuneAlpha > 0 && !fit)) {
            throw new IllegalArgumentException(
                    "--tune-alpha takes a number of losses >= 0 and tunes alpha after --fit; give --docs and --fit");
        }
        if (layerSteps < 0 || (layerSteps > 0 && !fit)) {
            throw new IllegalArgumentException(
                    "--layer-steps takes a number of steps >= 0 and runs after --fit; give --docs and --fit");
        }
        BudgetOptions.requireWritable(out, "saved artefact", "specialist", force);
        if (safetensors != null && (Files.isDirectory(safetensors) || (Files.exists(safetensors) && !force))) {
            // Checked before the soup is loaded and --out replaced, as export checks its file.
            throw new IllegalArgumentException("--safetensors " + safetensors + " already exists; "
                    + (Files.isDirectory(safetensors) ? "name a file, not a folder" : "pass --force to replace it"));
        }
        List<String> texts = docs == null ? null : Inputs.documents(docs); // read before the soup: cheaper to refuse
        try (SoupOfExperts soup = SoupOfExperts.load(soupDir)) {
            DomainWeightFit.Result fitted = null;
            double[] weights;
            if (h != null) {
                weights = Inputs.weights(h, soup);
            } else if (fit) {
                fitted = fitted(soup, texts);
                weights = fitted.h();
            } else {
                weights = NearestCentroidAssigner.fromSoup(soup, 0).domainWeights(texts);
            }
            long t0 = System.nanoTime();
            try (Specialist s = instantiate(soup, fitted, weights)) {
                double ms = (System.nanoTime() - t0) / 1e6;
                s.save(out);
                if (safetensors != null) {
                    s.exportSafetensors(safetensors);
                }
                if (json) {
                    JsonObject o = new JsonObject();
                    o.add(
                            "domains",
                            JsonParser.parseString(
                                    new Gson().toJson(soup.labels().domains())));
                    o.add("h", JsonParser.parseString(new Gson().toJson(weights)));
                    o.add("alpha", JsonParser.parseString(new Gson().toJson(s.alpha())));
                    if (s.provenance().layerAlpha().length > 0) {
                        // alpha is then the rows' mean; the rows are what rebuild the model.
                        o.add(
                                "layerAlpha",
                                JsonParser.parseString(
                                        new Gson().toJson(s.provenance().layerAlpha())));
                    }
                    o.addProperty("milliseconds", ms);
                    o.addProperty("saved", out.toString());
                    spec.commandLine().getOut().println(o);
                } else {
                    spec.commandLine()
                            .getOut()
                            .printf(
                                    "h=%s%s; instantiated in %.1f ms; saved %s%n",
                                    soup.labels().format(weights),
                                    layerSteps > 0
                                            ? "; alpha tuned on the documents, layer by layer"
                                            : tuneAlpha > 0 ? "; alpha tuned on the documents" : "",
                                    ms,
                                    out);
                }
            }
        }
        return 0;
    }

    private Specialist instantiate(SoupOfExperts soup, DomainWeightFit.Result fitted, double[] weights) {
        if (layerSteps > 0) {
            return soup.instantiateLayerAlpha(fitted.layerAlpha(), weights);
        }
        return tuneAlpha > 0 ? soup.instantiateAlpha(fitted.alpha(), weights) : soup.instantiate(weights);
    }

    /** h fitted to the documents from their histogram over the soup's centroids (and alpha, with --tune-alpha). */
    private DomainWeightFit.Result fitted(SoupOfExperts soup, List<String> texts) throws IOException {
        try (Inputs.RecordedTokenizer tok = Inputs.recordedTokenizer(soupDir, soup.labels())) {
            return DomainWeightFit.builder()
                    .soup(soup)
                    .tokenizer(tok.tokenizer())
                    .start(NearestCentroidAssigner.fromSoup(soup, 0))
                    .alphaEvaluations(tuneAlpha)
                    .layerSteps(layerSteps)
                    .build()
                    .fit(texts);
        }
    }
}
