import ArgumentParser
import Harness

struct Bless: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record a run's synthetic-scale numbers as the expected ones.",
        discussion: """
        Prints the diff against the expected file first. Refuses (exit 2) when a number already \
        blessed moved beyond its tolerance or vanished, unless --force. Skipped and failed rows are \
        never blessed, nor paper-scale rows; expected/paper.h5 (published numbers) is never written.
        """
    )

    @Argument(help: "A results file written by dvebench run.")
    var results: String

    @Option(help: "Results of the same rows run another way (e.g. --threads 1); widens each tolerance to twice the spread. Repeatable.")
    var spread: [String] = []

    @Option(name: .customLong("expected"), help: ArgumentHelp("The expected file to write (default: the repository's expected/synthetic.h5).", valueName: "file"))
    var expectedFile: String?

    @OptionGroup var manifests: ManifestsOption

    @Flag(help: "Bless even when already-blessed numbers moved beyond tolerance.")
    var force = false

    @OptionGroup var repository: RepositoryOptions

    func run() throws {
        let root = try repository.root(command: "bless")
        let expected = root.path(expectedFile, orDefault: "expected/synthetic.h5")
        let lock = try CommandSupport.lockOutput(folderOf: expected, command: "bless")
        defer { withExtendedLifetime(lock) {} }
        let plan: BlessPlan
        do {
            plan = try BlessPlan.prepare(resultsPath: results, expectedPath: expected,
                                         manifests: try manifestsByID(manifests.directory(repository: root), repository: root), spreadPaths: spread)
        } catch let error as BlessError {
            throw fail("bless", error, code: error.exitCode)
        } catch {
            throw fail("bless", error)
        }
        let table = DiffTable(plan.diff)
        for line in table.lines() { print(line) }
        print(table.summary)
        for (row, reason) in plan.notBlessed { print("not blessed: \(row): \(reason)") }
        do {
            try plan.commit(force: force)
        } catch {
            throw fail("bless", error, code: error.exitCode)
        }
        if !plan.moved.isEmpty { print("forced: \(plan.moved.count) moved number(s) blessed") }
        print("blessed \(plan.blessed.count) row(s) into \(expected)")
    }
}
