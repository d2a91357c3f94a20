import ArgumentParser
import Foundation
import Harness

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Where each row of a run or a cluster submission stands: done, running, failed or pending.",
        discussion: """
        Reads OUT: the shard folders of `dvebench submit`, or the status.json and results.h5 of one \
        `dvebench run`. A running row shows its progress; one whose process stopped reporting \
        (killed, preempted) shows as interrupted, and resumes when its task runs again. Exit status: \
        0 every row done or skipped, 1 a row failed, 3 rows remain.
        """
    )

    @Argument(help: "The output folder of `dvebench run` or `dvebench submit`.")
    var out: String

    @Option(help: "Seconds without news after which a running row counts as interrupted.")
    var staleAfter: Double = StatusReport.defaultStaleAfter

    func run() throws {
        let report: StatusReport
        do {
            report = try StatusReport.read(outputDirectory: out, staleAfter: staleAfter)
        } catch {
            throw fail("status", error)
        }
        for line in report.tableLines { print(line) }
        print(report.summary)
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}
