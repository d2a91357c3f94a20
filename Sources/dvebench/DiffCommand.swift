import ArgumentParser
import Foundation
import Harness

struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare a results file with the expected numbers, within each manifest's tolerances.",
        discussion: """
        Prints row, metric, expected, got, delta, tolerance and verdict (pass, regression, \
        improvement, missing-expected, skipped, failed), then the counts. Without --expected, \
        paper-scale rows compare with EXPECTED_DIR/paper.h5 and synthetic-scale rows with \
        EXPECTED_DIR/synthetic.h5, where they are keyed <scale>/<row id>. Exit status: 0 all \
        compared metrics within tolerance (missing expected numbers are listed, not failed), 2 any \
        regression or row that did not finish (failed, skipped, or requested of the run and not \
        in the file), 4 improvements only, 1 an error (such as a damaged file). --format json or \
        csv gives one record per metric for other tools (docs/results.md, "Machine-readable diff"); \
        the default is text. The exit status is the same in every format.
        """
    )

    @Argument(help: "A results file written by dvebench run.")
    var results: String

    @Option(help: "Compare every row with this expected file instead of the default ones.")
    var expected: String?

    @OptionGroup var inputs: ExpectedInputOptions

    @OptionGroup var format: ResultsFormatOption

    @Flag(help: "Leave out lines that pass (the summary and the exit status still count them).")
    var quiet = false

    @OptionGroup var repository: RepositoryOptions

    func run() throws {
        let root = try repository.root(command: "diff")
        let export: DiffExport
        do {
            let manifests = try manifestsByID(inputs.manifests.directory(repository: root), repository: root)
            let (set, report) = try ResultDiff.runKeepingResults(
                resultsPath: results, expectedPath: expected, expectedDirectory: inputs.expectedDirectory(repository: root),
                manifests: manifests)
            export = DiffExport(report: report, results: set, manifests: manifests, resultsPath: results)
        } catch {
            throw fail("diff", error)
        }
        FileHandle.standardOutput.write(Data(export.render(format.format(default: .text), includePassing: !quiet).utf8))
        if export.report.exitCode != 0 { throw ExitCode(export.report.exitCode) }
    }
}
