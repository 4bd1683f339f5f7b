/**
 * Rendering of the comparison report of {@code abscert compare}: {@link org.abscert.cli.report.ReportWriter}
 * writes a self-contained {@code report.html} ({@link org.abscert.cli.report.HtmlReport}, charts as inline
 * SVG), {@code report.json} ({@link org.abscert.cli.report.JsonReport}) and CSV tables
 * ({@link org.abscert.cli.report.CsvTables}); {@link org.abscert.cli.report.SummaryTable} is the table printed
 * at the end and {@link org.abscert.cli.report.ConsoleProgress} the progress display on stderr.
 */
package org.abscert.cli.report;
