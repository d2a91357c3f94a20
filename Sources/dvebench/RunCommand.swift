import ArgumentParser
import Foundation
import Harness

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run manifest rows: obtain each row's model, dataset and protocol, and write results.h5.",
        discussion: """
        Selects rows by manifest file or folder, --table and --id; with none, every manifest. Each row's \
        model is its released checkpoint (--mode checkpoint, the default when --checkpoints is given) or \
        trained from its recipe (--mode train). Images come from the real datasets under --data-root \
        (the reference's data/ folder: celeba/, aflw/aflw_release-2/, aflw-mtfl/, 300w/300w/) or, \
        without it, from SynthFaces generated in memory. --scale default|quick shrink training and \
        regression for a CPU; paper (the default with --data-root) follows every recipe.

        Results are written to OUT/results.h5 after every row. A rerun keeps rows that finished with \
        the same manifest bytes and settings unless --force. A row whose dataset, checkpoint or model \
        is missing here is reported as skipped with the reason. Exit code: 0 when no row failed, 1 \
        otherwise; compare against the expected numbers with `dvebench diff OUT/results.h5`. \
        --threads defaults to every core.

        Manifests, eval warps and shipped models come from the repository: --repository DIR, else \
        the current folder or its first parent holding manifests/ and expected/, else \
        $DVEBENCH_HOME, else the copy `make install` put next to the binary. Paths you give \
        (manifests, --out, --data-root) are relative to the current folder.
        """
    )

    @OptionGroup var settings: RunSettings

    @OptionGroup var threads: ThreadsOption

    @Option(help: ArgumentHelp("Run only shard i of n (rows sorted by id, every n-th from the i-th).", valueName: "i/n"))
    var shard: Shard?

    @Option(help: "Output folder for results.h5, training checkpoints and the descriptor cache.")
    var out: String = "out/run"

    @OptionGroup var force: ForceRerunFlag

    @OptionGroup var repository: RepositoryOptions

    func run() throws {
        let root = try repository.root(command: "run")
        let rows = try settings.selectedRows(repository: root)
        let options = try settings.runnerOptions(out: out, threads: threads.count(default: ThreadsOption.allCores), shard: shard,
                                                 force: force.isSet, repository: root)
        let results = try CommandSupport.run(rows, options: options)
        let failed = results.rows.filter { if case .failed = $0.status { true } else { false } }
        if !failed.isEmpty { throw ExitCode(1) }
    }
}

/// Pieces shared by `run` and `reproduce`.
enum CommandSupport {
    static func manifests(_ selection: ManifestSelection, repository: URL) throws -> [LoadedManifest] {
        let loader = ManifestLoader(repositoryRoot: repository)
        do {
            return try selection.load(with: loader)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(1)
        }
    }

    /// This binary: what `submit`'s tasks run, and the reader process of `IsolatedRead`.
    static var executablePath: String {
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return resolved }
        let first = CommandLine.arguments[0]
        return first.hasPrefix("/") ? first : URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(first).path
    }

    /// The lock of the folder `file` is written into (`merge`'s output, `bless`'s expected file).
    static func lockOutput(folderOf file: String, command: String) throws -> OutputLock {
        let folder = (file as NSString).deletingLastPathComponent
        return try lockOutput(folder.isEmpty ? "." : folder, command: command)
    }

    /// The output folder's lock (`OutputLock`), or exit 1 naming the process that holds it.
    static func lockOutput(_ directory: String, command: String) throws -> OutputLock {
        do {
            return try OutputLock(directory: directory, command: commandLine)
        } catch {
            throw fail(command, error)
        }
    }

    static func run(_ rows: [LoadedManifest], options: RunnerOptions) throws -> ResultSet {
        let lock = try lockOutput(options.outputDirectory, command: "run")
        defer { withExtendedLifetime(lock) {} }
        Runtime.configure(threads: options.threads)
        let runner = Runner(options: options)
        let selected = runner.selected(rows)
        say("\(selected.count) rows, mode \(options.mode.rawValue), scale \(options.scale), data \(options.dataRoot ?? "SynthFaces (in memory)"), "
              + "threads \(options.threads) → \(options.resultsPath)")
        let display = ProgressDisplay()
        let start = Date()
        Interruption.installHandlers()
        let results: ResultSet
        do {
            results = try runner.run(rows) { display.handle($0) }
        } catch let interrupted as RunInterrupted {
            FileHandle.standardError.write(Data("\ndvebench: \(interrupted)\n".utf8))
            throw ExitCode(interrupted.exitCode)
        } catch let error as RunnerError {
            throw fail("run", error)
        }
        say(String(format: "%d rows in %.1f s", selected.count, Date().timeIntervalSince(start)))
        return results
    }
}
