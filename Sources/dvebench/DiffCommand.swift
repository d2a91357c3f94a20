import ArgumentParser
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
        in the file), 4 improvements only, 1 an error (such as a damaged file).
        """
    )

    @Argument(help: "A results file written by dvebench run.")
    var results: String

    @Option(help: "Compare every row with this expected file instead of the default ones.")
    var expected: String?

    @Option(help: "Where the default expected files are.")
    var expectedDir = "expected"

    @Option(help: "The manifests the rows ran from (tolerances, polarity).")
    var manifests = "manifests"

    @Flag(help: "Print only lines that are not a pass, then the summary.")
    var quiet = false

    func run() throws {
        let report: DiffReport
        do {
            report = try ResultDiff.run(resultsPath: results, expectedPath: expected, expectedDirectory: expectedDir,
                                        manifests: try manifestsByID(manifests))
        } catch {
            throw fail("diff", error)
        }
        let table = DiffTable(report)
        for line in table.lines(includePassing: !quiet) { print(line) }
        print(table.summary)
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}
