package org.soupofexperts.cli;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.soupofexperts.core.SoupOfExperts;
import org.soupofexperts.data.cluster.NearestCentroidAssigner;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code soe histogram}: the domain weights h of documents, through the centroids the soup carries. */
@Command(
        name = "histogram",
        footerHeading = "%nExamples:%n",
        footer = {"  soe histogram --soup run/soup my-docs/*.txt"},
        mixinStandardHelpOptions = true,
        description = "Domain weights h of a specialist set: each document goes to its nearest domain centroid.")
final class Histogram implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--soup", required = true, description = "a soup saved by 'soe train'")
    Path soupDir;

    @Parameters(arity = "1..*", paramLabel = "DOC", description = "document files (UTF-8 text)")
    List<Path> docs;

    @Option(names = "--json", description = "print {\"domains\": [...], \"h\": [...]} for scripts")
    boolean json;

    @Override
    public Integer call() throws IOException {
        List<String> texts = Inputs.documents(docs); // the cheap checks first
        try (SoupOfExperts soup = SoupOfExperts.load(soupDir)) {
            double[] h = NearestCentroidAssigner.fromSoup(soup, 0).domainWeights(texts);
            if (json) {
                JsonObject o = new JsonObject();
                o.add(
                        "domains",
                        JsonParser.parseString(new Gson().toJson(soup.labels().domains())));
                o.add("h", JsonParser.parseString(new Gson().toJson(h)));
                spec.commandLine().getOut().println(o);
            } else {
                spec.commandLine().getOut().println(soup.labels().format(h));
            }
        }
        return 0;
    }
}
