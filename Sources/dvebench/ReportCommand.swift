import ArgumentParser
import Foundation
import Harness

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write report.md (the paper's tables, expected next to reproduced) and a self-contained report.html.",
        discussion: """
        The HTML page has the summary and provenance, the tables, matched landmarks drawn on source and \
        target images for a few pairs of each matching row, each model's embedding as its first three \
        principal components in RGB, a chart of per-row deltas against the tolerance band, and \
        SmallNet against the Hourglass (or SmallNet by dimension with and without DVE). Rows are judged \
        as `dvebench diff` judges them.

        --format markdown (the default) writes report.md and report.html; text, json and csv write \
        report.txt, report.json or report.csv instead: the diff's lines in that format, one record \
        per metric with the run's provenance (docs/results.md, "Machine-readable diff").
        """
    )

    @Argument(help: "A results file written by dvebench run or reproduce.")
    var results: String

    @Option(help: "Output folder (default: the results file's folder).")
    var out: String?

    @OptionGroup var inputs: ExpectedInputOptions

    @Option(help: "Report title.")
    var title = "DVEBench report"

    @OptionGroup var format: ResultsFormatOption

    @OptionGroup var repository: RepositoryOptions

    func run() throws {
        let root = try repository.root(command: "report")
        do {
            guard let set = try ResultsFile.load(results) else { throw ValidationError("\(results) does not exist") }
            let byID = try manifestsByID(inputs.manifests.directory(repository: root), repository: root)
            let expectedDirectory = inputs.expectedDirectory(repository: root)
            let (expected, notes) = try ExpectedFiles.load(for: set, directory: expectedDirectory)
            for note in notes { say("note: \(note)") }
            let folder = out ?? (results as NSString).deletingLastPathComponent
            let folderURL = URL(fileURLWithPath: folder.isEmpty ? "." : folder)
            let chosen = format.format(default: .markdown)
            guard chosen == .markdown else {
                let report = try ResultDiff.compare(results: set, expected: expected, manifests: byID, notes: notes)
                let text = DiffExport(report: report, results: set, manifests: byID, resultsPath: results).render(chosen)
                let file = folderURL.appendingPathComponent("report.\(chosen.fileExtension)")
                try FileManager.default.createDirectory(at: folderURL, withIntermediateDirectories: true)
                try Data(text.utf8).write(to: file, options: .atomic)
                say("wrote \(file.path)")
                return
            }
            let paper = try? ExpectedSet.load((expectedDirectory as NSString).appendingPathComponent(ExpectedFiles.paper))
            let input = ReportInput(results: set, manifests: byID, expected: expected, paper: paper, title: title)
            let written = try ReportWriter.write(input, to: folderURL)
            say("wrote \(written.markdown.path) and \(written.html.path)")
        } catch let error as ValidationError {
            throw error
        } catch {
            throw fail("report", error)
        }
    }
}
