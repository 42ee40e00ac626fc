package org.soupofexperts.examples;

import static java.lang.String.format;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.soupofexperts.examples.experiment.Charts;
import org.soupofexperts.examples.experiment.MarkdownTable;
import org.soupofexperts.examples.experiment.Parts;

/** Writes {@link EqualTimeRace}'s results.md and race.png from its {@link RaceResults}. */
final class RaceReport {

    private RaceReport() {}

    static void write(Path out, RaceResults r) throws IOException {
        StringBuilder md = new StringBuilder("# The soup and the generic model at equal wall time\n\n");
        md.append("`").append(r.settings()).append("`\n\n");
        md.append(format(
                "The soup trains %d steps in %d turns; after each, the generic model trains %s. Both at a"
                        + " constant learning rate after the same warm-up. Seconds are training time (evaluations,"
                        + " checkpoints and resumes left out), added up over the turns. Bits per byte on each"
                        + " domain's validation split; the soup's specialists at each domain's histogram h.%n%n",
                r.soupSteps(),
                r.blocks(),
                r.ratio() > 0
                        ? format("%s steps per soup step", r.ratio())
                        : "until its training time has caught up with the soup's"));
        if (r.blocksDone() < r.blocks()) {
            md.append(format(
                    "**Stopped after block %d of %d**: the same command goes on from there.%n%n",
                    r.blocksDone(), r.blocks()));
        }
        if (r.points().isEmpty()) {
            Parts.write(out.resolve("results.md"), md.toString());
            return;
        }
        md.append(curve(r)).append('\n');
        md.append(perDomain(r)).append("\n![curve](race.png)\n");
        Parts.write(out.resolve("results.md"), md.toString());
        Map<String, double[][]> series = new LinkedHashMap<>();
        series.put("generic", xy(r.points(), RaceResults.Point::genericSeconds, RaceResults.Point::generic));
        series.put("soup specialists", xy(r.points(), RaceResults.Point::soupSeconds, RaceResults.Point::specialists));
        series.put("soup, natural h", xy(r.points(), RaceResults.Point::soupSeconds, RaceResults.Point::soupNatural));
        Charts.lines(
                out.resolve("race.png"),
                "Mean of the domains against training time",
                "training seconds",
                "bits per byte",
                series,
                true);
    }

    /** One row per scored point. */
    private static MarkdownTable curve(RaceResults r) {
        MarkdownTable curve = new MarkdownTable(
                "block",
                "soup steps",
                "soup s",
                "generic steps",
                "generic s",
                "generic s / soup s",
                "generic",
                "soup specialists",
                "vs generic",
                "lower on",
                "soup, natural h");
        for (RaceResults.Point p : r.points()) {
            curve.row(
                    Integer.toString(p.block()),
                    Integer.toString(p.soupStep()),
                    format("%.0f", p.soupSeconds()),
                    Integer.toString(p.genericStep()),
                    format("%.0f", p.genericSeconds()),
                    format("%.3f", p.timeRatio()),
                    format("%.3f", RaceResults.mean(p.generic())),
                    format("%.3f", RaceResults.mean(p.specialists())),
                    format("%+.1f%%", 100 * p.margin()),
                    p.wins() + "/" + p.generic().length,
                    format("%.3f", RaceResults.mean(p.soupNatural())));
        }
        return curve;
    }

    /** Each domain at the last scored point. */
    private static String perDomain(RaceResults r) {
        RaceResults.Point last = r.last();
        MarkdownTable perDomain = new MarkdownTable("domain", "generic", "soup specialist", "soup, natural h");
        for (int d = 0; d < r.domains().size(); d++) {
            perDomain.row(
                    r.domains().get(d),
                    format("%.3f", last.generic()[d]),
                    format("%.3f", last.specialists()[d]),
                    format("%.3f", last.soupNatural()[d]));
        }
        return format("Per domain at block %d:%n%n", last.block()) + perDomain;
    }

    private static double[][] xy(
            List<RaceResults.Point> points,
            Function<RaceResults.Point, Double> x,
            Function<RaceResults.Point, double[]> y) {
        double[][] out = new double[2][points.size()];
        for (int i = 0; i < points.size(); i++) {
            out[0][i] = x.apply(points.get(i));
            out[1][i] = RaceResults.mean(y.apply(points.get(i)));
        }
        return out;
    }
}
