import ArgumentParser
import Foundation
import Harness

struct Submit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a selection of rows on a Slurm cluster: a job array of shards, then a merge job.",
        discussion: """
        Takes the same selection and settings as `run`. Writes OUT/slurm/array.sh (task i runs \
        `dvebench run … --shard i/N --threads $SLURM_CPUS_PER_TASK --out OUT/shard-i`) and \
        OUT/slurm/merge.sh (merge into OUT/results.h5, report, diff; its exit status is the diff's), \
        submits the array with `sbatch`, and the merge with --dependency=afterok on it. A task that is \
        cancelled, preempted, timed out or requeued resumes from its shard folder when it runs again \
        (`scontrol requeue`, or `sbatch OUT/slurm/array.sh` once more). Follow the run with \
        `dvebench status OUT`. --dry-run prints both scripts and submits nothing.
        """
    )

    @OptionGroup var settings: RunSettings

    @OptionGroup var repository: RepositoryOptions

    @Option(help: "Output folder: shard-i/ per task, slurm/ scripts and logs, the merged results.h5 and report.")
    var out: String = "out/cluster"

    @Option(help: "Array tasks (shards); at most one per selected row.")
    var tasks: Int = 2

    @Option(help: "CPUs per task, which is also each task's thread count.")
    var cpusPerTask: Int = 2

    @Option(help: "Slurm partition.")
    var partition: String?

    @Option(help: "Time limit per task, in Slurm's format (e.g. 12:00:00).")
    var time: String?

    @Option(help: "Memory per task, in Slurm's format (e.g. 8G).")
    var mem: String?

    @Option(help: "Slurm account to charge.")
    var account: String?

    @Option(help: "Any other sbatch option, passed through as an #SBATCH line (repeatable), e.g. --sbatch-arg=--qos=long.")
    var sbatchArg: [String] = []

    @Flag(help: "Print the two scripts; write and submit nothing.")
    var dryRun = false

    @Flag(help: "Start over: remove the shard folders, merged results and report of an earlier submission to OUT first.")
    var force = false

    func validate() throws {
        if tasks < 1 { throw ValidationError("--tasks must be at least 1") }
        if cpusPerTask < 1 { throw ValidationError("--cpus-per-task must be at least 1") }
    }

    func run() throws {
        let here = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let root = try repository.root(command: "submit")
        let rows = try settings.selectedRows(repository: root)
        let ids = rows.map(\.manifest.id).sorted()
        guard !ids.isEmpty else { throw fail("submit", ValidationError("the selection has no rows")) }
        let taskCount = min(tasks, ids.count)
        if taskCount < tasks { say("\(ids.count) rows: \(taskCount) tasks instead of \(tasks) (a task runs at least one row)") }
        let output = out.hasPrefix("/") ? out : here.appendingPathComponent(out).standardizedFileURL.path
        let submission = SlurmSubmission(
            executable: CommandSupport.executablePath, repository: root.path,
            runArguments: settings.arguments(absoluteAgainst: here) + ["--repository", root.path],
            output: output, tasks: taskCount, cpusPerTask: cpusPerTask, partition: partition, time: time, memory: mem,
            account: account, extraSbatchArguments: sbatchArg)
        if dryRun {
            print("# \(submission.arrayScriptPath)\n\(submission.arrayScript)\n# \(submission.mergeScriptPath)\n\(submission.mergeScript)",
                  terminator: "")
            return
        }
        do {
            try prepare(submission, ids: ids)
            var record = SubmissionRecord(tasks: taskCount, rowIDs: ids)
            let array = try Sbatch.submit([submission.arrayScriptPath])
            record.arrayJob = array
            try record.write(to: output)
            let merge = try Sbatch.submit(["--dependency=afterok:\(array)", submission.mergeScriptPath])
            record.mergeJob = merge
            try record.write(to: output)
            say("submitted \(Self.count(ids.count, "row")) as array job \(array) (\(Self.count(taskCount, "task")) × \(Self.count(cpusPerTask, "CPU"))) "
                + "and merge job \(merge)")
            say("follow it with: dvebench status \(out)   (logs in \(submission.scriptsDirectory))")
            say("when it ends: \(output)/results.h5; the merge job's exit status is the diff's")
        } catch let error as ExitCode {
            throw error
        } catch {
            throw fail("submit", error)
        }
    }

    private func prepare(_ submission: SlurmSubmission, ids: [String]) throws {
        let files = FileManager.default
        if force {
            for name in (try? files.contentsOfDirectory(atPath: submission.output)) ?? []
            where name.hasPrefix("shard-") || ["results.h5", "report", SubmissionRecord.fileName].contains(name) {
                try files.removeItem(atPath: (submission.output as NSString).appendingPathComponent(name))
            }
        } else if let earlier = try SubmissionRecord.read(from: submission.output),
                  earlier.tasks != submission.tasks || earlier.shards.flatMap(\.rows).sorted() != ids {
            // Shard folders of another partition would hand rows to the wrong tasks' results.
            throw ValidationError("\(submission.output) holds a submission of other rows or another task count; use --force to start over or choose another --out")
        }
        try files.createDirectory(atPath: submission.scriptsDirectory, withIntermediateDirectories: true)
        for (path, text) in [(submission.arrayScriptPath, submission.arrayScript), (submission.mergeScriptPath, submission.mergeScript)] {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            try files.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        }
    }

    static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

}

/// The one place that calls `sbatch`.
enum Sbatch {
    struct Failure: Error, CustomStringConvertible {
        var arguments: [String]
        var message: String
        var description: String { "sbatch \(arguments.joined(separator: " ")): \(message)" }
    }

    /// Submits and returns the job id (`--parsable` prints `id` or `id;cluster`).
    static func submit(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["sbatch", "--parsable"] + arguments
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        do { try process.run() } catch {
            throw Failure(arguments: arguments, message: "cannot start sbatch (\(error)); is Slurm installed here?")
        }
        let output = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errors = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let reason = errors.trimmingCharacters(in: .whitespacesAndNewlines)
            throw Failure(arguments: arguments, message: reason.isEmpty ? "exit status \(process.terminationStatus)" : reason)
        }
        guard let id = output.split(whereSeparator: { $0 == ";" || $0.isNewline }).first.map(String.init),
              !id.isEmpty, id.allSatisfy(\.isNumber) else {
            throw Failure(arguments: arguments, message: "no job id in its output \"\(output)\"")
        }
        return id
    }
}
