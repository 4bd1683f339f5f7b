package org.abscert.cli.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.abscert.experiments.ComparisonReport;

/** Writes a comparison report into a directory: {@value #HTML}, {@value #JSON} and the CSV tables. */
public final class ReportWriter {
    public static final String HTML = "report.html";
    public static final String JSON = "report.json";
    /** The CSV files, in the order {@link CsvTables#render} produces them. */
    public static final List<String> CSV_FILES = List.of("summary.csv", "kink-rules.csv", "vectors.csv", "disagreement.csv",
            "training-steps.csv", "training-epochs.csv", "relu0-sensitivity.csv", "timing.csv", "bifurcation.csv", "bifurcation-batches.csv",
            "maxpool.csv", "maxpool-batches.csv", "track-steps.csv", "track-accuracy.csv");

    private ReportWriter() {}

    /**
     * Renders everything first and only then writes, each file through a temporary file and a rename, so a
     * failure leaves no half-written report.
     *
     * @return the files written
     */
    public static List<Path> write(ComparisonReport report, Path dir) throws IOException {
        Map<String, String> csv = CsvTables.render(report);
        if (!csv.keySet().equals(new java.util.LinkedHashSet<>(CSV_FILES)))
            throw new IllegalStateException("CSV file list out of date: " + csv.keySet());
        Map<String, String> files = new java.util.LinkedHashMap<>();
        files.put(HTML, HtmlReport.render(report));
        files.put(JSON, JsonReport.render(report));
        files.putAll(csv);
        Files.createDirectories(dir);
        List<Path> written = new ArrayList<>();
        for (var e : files.entrySet()) {
            Path target = dir.resolve(e.getKey());
            Path tmp = dir.resolve("." + e.getKey() + ".tmp");
            Files.writeString(tmp, e.getValue(), StandardCharsets.UTF_8);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            written.add(target);
        }
        return written;
    }
}
