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
        """
    )

    @Argument(help: "A results file written by dvebench run or reproduce.")
    var results: String

    @Option(help: "Output folder (default: the results file's folder).")
    var out: String?

    @Option(help: "Where paper.h5 and synthetic.h5 are.")
    var expectedDir = "expected"

    @Option(help: "The manifests the rows ran from.")
    var manifests = "manifests"

    @Option(help: "Report title.")
    var title = "DVEBench report"

    func run() throws {
        do {
            guard let set = try ResultsFile.load(results) else { throw ValidationError("\(results) does not exist") }
            let byID = try manifestsByID(manifests)
            let (expected, notes) = try ExpectedFiles.load(for: set, directory: expectedDir)
            for note in notes { say("note: \(note)") }
            let paper = try? ExpectedSet.load((expectedDir as NSString).appendingPathComponent(ExpectedFiles.paper))
            let input = ReportInput(results: set, manifests: byID, expected: expected, paper: paper, title: title)
            let folder = out ?? (results as NSString).deletingLastPathComponent
            let written = try ReportWriter.write(input, to: URL(fileURLWithPath: folder.isEmpty ? "." : folder))
            say("wrote \(written.markdown.path) and \(written.html.path)")
        } catch let error as ValidationError {
            throw error
        } catch {
            throw fail("report", error)
        }
    }
}
