import ArgumentParser
import Foundation
import Harness
import Landmarks
import Synchronization

/// `dvebench data …`: the dataset trees under a data root.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Check the dataset trees a selection of rows needs.",
        subcommands: [DataCheckCommand.self]
    )
}

struct DataCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check that a run of the selected rows would not fail on the data under --data-root.",
        discussion: """
        Takes run's arguments (rows by manifest path, --table and --id; --data-root DIR is required; \
        --mode decides which splits are read: training needs the CelebA training set, checkpoint mode \
        only the evaluation splits). For each dataset the selection reads: the reference layout's \
        annotation and split files are present with the expected row counts (the reference's, e.g. \
        CelebA's 202 599 rows and MAFL's 19 000 / 1 000; for a `dvebench synth` tree, those of the tree \
        SYNTHFACES.txt describes), and every image the selected splits open is present and decodes, \
        checked in parallel. `run` does the first part before its first row. The first problems are \
        listed by path, then their count. Exit code: 0 only when a run would not fail on the data.
        """
    )

    @OptionGroup var settings: RunSettings
    @OptionGroup var repositoryOptions: RepositoryOptions

    @Option(help: "Threads decoding images.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Problems listed before the count.")
    var show: Int = 20

    @Flag(help: "Check files and counts only (what run does before its first row), not the images.")
    var skipImages = false

    func validate() throws {
        if settings.dataRoot == nil { throw ValidationError("data check needs --data-root DIR (the reference's data/ folder)") }
        if threads < 1 { throw ValidationError("--threads must be at least 1 (got \(threads))") }
    }

    func run() throws {
        let repository = try repositoryOptions.root(command: "data check")
        let rows = try settings.selectedRows(repository: repository)
        let mode = try settings.runMode()
        let dataRoot = settings.dataRoot!
        let targets = DataPrecheck.targets(rows: rows.map(\.manifest), mode: mode, dataRoot: dataRoot)
        say("\(targets.count) dataset(s) for \(rows.count) rows in \(mode.rawValue) mode under \(dataRoot)")
        var problems: [DatasetProblem] = []
        var opened: [any LandmarkDataset] = []
        for check in DataPrecheck.annotations(targets) {
            let counts = check.datasets.map { "\($0.name) \($0.count)" }.joined(separator: ", ")
            let verdict = check.absent ? "ABSENT" : check.problems.isEmpty ? "files and counts ok" : "\(check.problems.count) problem(s)"
            say("  \(check.layout) \(check.root): \(verdict)" + (counts.isEmpty ? "" : " (\(counts))"))
            problems += check.problems
            opened += check.datasets
        }
        if !skipImages && !opened.isEmpty {
            let bar = LineProgress(label: "images")
            let result = DatasetImageCheck.run(opened, threads: threads) { bar.update($0, $1) }
            bar.finish()
            say("  images: \(result.checked) read, \(result.problems.count) problem(s)")
            problems += result.problems
        }
        guard !problems.isEmpty else {
            say("ok: a run of these rows will not fail on the data")
            return
        }
        let list = problems.prefix(show).map { "  \($0)" }.joined(separator: "\n")
        let more = problems.count > show ? "\n  … and \(problems.count - show) more" : ""
        FileHandle.standardError.write(Data("dvebench data check: \(problems.count) problem(s):\n\(list)\(more)\n".utf8))
        throw ExitCode(1)
    }
}

/// One progress line fed from worker threads: redrawn in place on a terminal, every 10 s in a log.
final class LineProgress: Sendable {
    private let label: String
    private let interactive = isatty(STDOUT_FILENO) == 1
    private let start = Date()
    private let last = Mutex(Date.distantPast)

    init(label: String) { self.label = label }

    func update(_ done: Int, _ total: Int) {
        let due: Bool = last.withLock { last in
            let wait: TimeInterval = interactive ? 0.1 : 10
            guard Date().timeIntervalSince(last) >= wait || done == total else { return false }
            last = Date()
            return true
        }
        guard due else { return }
        let elapsed = Date().timeIntervalSince(start)
        let remaining = done > 0 ? elapsed / Double(done) * Double(total - done) : .infinity
        let line = "  \(label) \(ProgressDisplay.bar(Double(done) / Double(max(1, total)))) \(done)/\(total)  ETA \(ProgressDisplay.clock(remaining))"
        if interactive { FileHandle.standardOutput.write(Data(("\r" + line).utf8)) } else { say(line) }
    }

    func finish() {
        if interactive { FileHandle.standardOutput.write(Data("\r\u{1B}[K".utf8)) }
    }
}
