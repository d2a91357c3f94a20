import ArgumentParser
import Foundation
import Harness

/// `dvebench fetch`: the released checkpoints of the selected rows, into `--checkpoints DIR`.
struct Fetch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Download the released checkpoints of the selected rows into --checkpoints DIR.",
        discussion: """
        Takes run's arguments (rows by manifest path, --table and --id; --checkpoints DIR is required; \
        the others are accepted so that one command line serves both, and ignored). Each checkpoint goes \
        to DIR/<checkpoint.file>, once however many rows share it. Downloads are resumable (an interrupted \
        file is kept as <file>.part and continued with an HTTP Range request), atomic (renamed into place \
        when complete) and --jobs at a time.

        The first complete download of a file records its SHA-256 and size in expected/checkpoints.lock \
        (commit it); later fetches and `run --mode checkpoint` verify against it, and a mismatch is an \
        error naming the file and both hashes (nothing is downloaded again). --verify rechecks every \
        present file. --mirror URL replaces the published prefix \(CheckpointFetchPlan.publishedPrefix). \
        Exit code: 0 when every checkpoint is in place and matches, 1 otherwise.
        """
    )

    @OptionGroup var settings: RunSettings
    @OptionGroup var repositoryOptions: RepositoryOptions

    @Option(help: "Files downloaded at the same time.")
    var jobs: Int = 4

    @Option(help: ArgumentHelp("Replace the published URLs' prefix with this one (an institutional mirror, a test server).", valueName: "url"))
    var mirror: String?

    @Option(help: "Times a broken connection is continued before the file counts as failed.")
    var retries: Int = 3

    @Flag(help: "List what would be fetched and its size where the server says it; download nothing.")
    var dryRun = false

    @Flag(help: "Recheck every present checkpoint of the selection against expected/checkpoints.lock; download nothing.")
    var verify = false

    func validate() throws {
        if settings.checkpoints == nil { throw ValidationError("fetch needs --checkpoints DIR (where the checkpoints go)") }
        if jobs < 1 { throw ValidationError("--jobs must be at least 1 (got \(jobs))") }
        if retries < 0 { throw ValidationError("--retries must not be negative (got \(retries))") }
        if dryRun && verify { throw ValidationError("--dry-run and --verify do not go together") }
    }

    func run() throws {
        let repository = try repositoryOptions.root(command: "fetch")
        let rows = try settings.selectedRows(repository: repository)
        let plan: CheckpointFetchPlan
        do { plan = try CheckpointFetchPlan(rows: rows, mirror: mirror) } catch { throw fail("fetch", error) }
        let lockFile = CheckpointLockFile.path(repositoryRoot: repository)
        var fetcher = CheckpointFetcher(directory: settings.checkpoints!, lockFile: lockFile, jobs: jobs)
        fetcher.retries = retries
        let without = plan.rowsWithoutCheckpoint.isEmpty ? "" : " (\(plan.rowsWithoutCheckpoint.count) publish none)"
        say("\(plan.items.count) checkpoints for \(rows.count) rows\(without) → \(fetcher.directory); lock \(CheckpointLockFile.relativePath)")
        if verify { return try verifyAll(plan, fetcher) }
        let pending = plan.items.filter { if case .present = fetcher.presence($0) { false } else { true } }
        let sizes = fetcher.announcedSizes(pending)
        if dryRun { return dryRunList(plan, fetcher, sizes: sizes) }

        let display = FetchProgressDisplay(files: plan.items.map(\.file),
                                           sizes: sizes.compactMapValues { $0.bytes })
        let start = Date()
        let outcomes = fetcher.fetch(plan.items) { display.handle($0) }
        display.close()
        var failures: [FetchError] = []
        var downloaded = 0, present = 0, recorded = 0
        for item in plan.items {
            switch outcomes[item.file] {
            case .downloaded(_, _, _, let new)?: downloaded += 1; if new { recorded += 1 }
            case .present(let new)?: present += 1; if new { recorded += 1 }
            case .failed(let error)?: failures.append(error)
            case nil: break
            }
        }
        say("\(downloaded) downloaded, \(present) already present, \(failures.count) failed in "
            + String(format: "%.1f s", Date().timeIntervalSince(start)) + "; \(recorded) new entries in \(CheckpointLockFile.relativePath)")
        guard failures.isEmpty else {
            let list = failures.map { "  \($0)" }.joined(separator: "\n")
            FileHandle.standardError.write(Data("dvebench fetch: \(failures.count) of \(plan.items.count) checkpoints failed:\n\(list)\n".utf8))
            throw ExitCode(1)
        }
    }

    private func dryRunList(_ plan: CheckpointFetchPlan, _ fetcher: CheckpointFetcher,
                            sizes: [String: (bytes: Int64?, failure: String?)]) {
        var toFetch: Int64 = 0, unknown = 0, count = 0
        for item in plan.items {
            let size = sizes[item.file]
            let shown = size?.bytes.map(FetchProgressDisplay.bytes) ?? "size unknown: \(size?.failure ?? "?")"
            switch fetcher.presence(item) {
            case .present(let bytes):
                say("  have    \(item.file)  \(FetchProgressDisplay.bytes(bytes))")
            case .partial(let bytes):
                say("  resume  \(item.file)  at \(FetchProgressDisplay.bytes(bytes)) of \(shown)  from \(item.url)")
                count += 1
                if let total = size?.bytes { toFetch += max(0, total - bytes) } else { unknown += 1 }
            case .missing:
                say("  fetch   \(item.file)  \(shown)  from \(item.url)")
                count += 1
                if let total = size?.bytes { toFetch += total } else { unknown += 1 }
            }
        }
        say("would fetch \(count) files, \(FetchProgressDisplay.bytes(toFetch))" + (unknown > 0 ? " + \(unknown) of unknown size" : ""))
    }

    private func verifyAll(_ plan: CheckpointFetchPlan, _ fetcher: CheckpointFetcher) throws {
        var bad: [String] = []
        var counts = (matches: 0, absent: 0, unlocked: 0)
        for item in plan.items {
            switch fetcher.verify(item) {
            case .matches: counts.matches += 1; say("  ok         \(item.file)")
            case .absent: counts.absent += 1; say("  absent     \(item.file)")
            case .notInLock: counts.unlocked += 1; say("  not locked \(item.file) (no entry in \(CheckpointLockFile.relativePath); fetch records it)")
            case .failed(let error): bad.append("\(error)"); say("  MISMATCH   \(item.file)")
            }
        }
        say("\(counts.matches) match, \(bad.count) differ, \(counts.unlocked) not in the lock, \(counts.absent) absent")
        guard bad.isEmpty else {
            FileHandle.standardError.write(Data(("dvebench fetch --verify:\n" + bad.map { "  \($0)\n" }.joined()).utf8))
            throw ExitCode(1)
        }
    }
}
