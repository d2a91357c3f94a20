import Foundation

/// A selection of rows as a Slurm job array plus a dependent merge job, as plain bash that a user
/// can read, edit and `sbatch` again.
///
/// Array task i runs shard i of n of the selection into `OUT/shard-i`; that folder is the unit of
/// resume, so a task that is cancelled, preempted, timed out or requeued continues where it stopped
/// when it runs again (finished rows are kept, a training resumes from its checkpoint). The merge
/// job runs once every task has succeeded (`afterok`), joins the shards into `OUT/results.h5`,
/// writes the report and ends with the diff's exit status.
public struct SlurmSubmission: Sendable, Equatable {
    /// The `dvebench` binary the tasks run (absolute).
    public var executable: String
    /// The folder the tasks start in: the repository (manifests, expected numbers, eval warps). The
    /// merge job also names it to `report` and `diff` (`--repository`), and `submit` puts it in
    /// `runArguments`, so the jobs read the same repository from wherever the binary is installed.
    public var repository: String
    /// The selection and its settings, as `dvebench run` arguments.
    public var runArguments: [String]
    /// The output folder (absolute).
    public var output: String
    public var tasks: Int
    public var cpusPerTask: Int
    public var partition: String?
    public var time: String?
    public var memory: String?
    public var account: String?
    /// Passed to both jobs as `#SBATCH` lines, as given.
    public var extraSbatchArguments: [String]

    public init(executable: String, repository: String, runArguments: [String], output: String, tasks: Int,
                cpusPerTask: Int, partition: String? = nil, time: String? = nil, memory: String? = nil,
                account: String? = nil, extraSbatchArguments: [String] = []) {
        self.executable = executable
        self.repository = repository
        self.runArguments = runArguments
        self.output = output
        self.tasks = tasks
        self.cpusPerTask = cpusPerTask
        self.partition = partition
        self.time = time
        self.memory = memory
        self.account = account
        self.extraSbatchArguments = extraSbatchArguments
    }

    public static let scriptsFolder = "slurm"
    public static let arrayScriptName = "array.sh"
    public static let mergeScriptName = "merge.sh"

    public var scriptsDirectory: String { (output as NSString).appendingPathComponent(Self.scriptsFolder) }
    public var arrayScriptPath: String { (scriptsDirectory as NSString).appendingPathComponent(Self.arrayScriptName) }
    public var mergeScriptPath: String { (scriptsDirectory as NSString).appendingPathComponent(Self.mergeScriptName) }

    public static func shardFolder(_ index: Int) -> String { "shard-\(index)" }

    public var arrayScript: String {
        var lines = [
            "#!/bin/bash",
            "# DVEBench job array, written by `dvebench submit`. Plain bash: edit it and `sbatch` it again.",
            "# Task i runs shard i of \(tasks) of the selection into \(Self.shellWord(output))/shard-i.",
            "#SBATCH --job-name=dvebench",
            "#SBATCH --array=1-\(tasks)",
            "#SBATCH --cpus-per-task=\(cpusPerTask)",
            "#SBATCH --output=\(scriptsDirectory)/task-%a.log",
            "# A requeued task appends to its log instead of starting it afresh.",
            "#SBATCH --open-mode=append",
            "#SBATCH --requeue",
        ]
        lines += commonSbatchLines(includeTime: true)
        lines += [
            "set -euo pipefail",
            "",
            "# A task that was cancelled, preempted, timed out or requeued starts again here and resumes:",
            "# rows already in its shard folder are kept and a training continues from its last checkpoint.",
            "# dvebench writes that checkpoint when Slurm sends SIGTERM, before KillWait runs out.",
            "cd \(Self.shellWord(repository))",
            "shard=$SLURM_ARRAY_TASK_ID",
            "echo \"== shard $shard/\(tasks) on $(hostname) at $(date -Is), restart ${SLURM_RESTART_COUNT:-0}\"",
            "exec \(Self.shellWord(executable)) run \(runArguments.map(Self.shellWord).joined(separator: " ")) \\",
            "    --shard \"$shard/\(tasks)\" --threads \"${SLURM_CPUS_PER_TASK:-1}\" \\",
            "    --out \(Self.shellWord(output))/shard-\"$shard\"",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    public var mergeScript: String {
        let dvebench = Self.shellWord(executable), repositoryWord = Self.shellWord(repository)
        let results = Self.shellWord((output as NSString).appendingPathComponent("results.h5"))
        let shards = (1...tasks).map { Self.shellWord((output as NSString).appendingPathComponent("\(Self.shardFolder($0))/results.h5")) }
        var lines = [
            "#!/bin/bash",
            "# DVEBench merge job, written by `dvebench submit`: runs after every array task succeeded.",
            "# Joins the shards, writes the report, and exits with the diff's status",
            "# (0 within tolerance, 2 regression or failed row, 4 improvements only, 1 error).",
            "#SBATCH --job-name=dvebench-merge",
            "#SBATCH --cpus-per-task=1",
            "#SBATCH --output=\(scriptsDirectory)/merge.log",
            "#SBATCH --open-mode=append",
        ]
        lines += commonSbatchLines(includeTime: true)
        lines += [
            "set -uo pipefail",
            "",
            "cd \(Self.shellWord(repository))",
            "\(dvebench) merge \(results) \\",
            "    " + shards.joined(separator: " \\\n    ") + " || exit 1",
            "\(dvebench) report \(results) --repository \(repositoryWord) || echo \"dvebench report failed; the diff below still gates\" >&2",
            "\(dvebench) diff \(results) --repository \(repositoryWord)",
            "exit $?",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    private func commonSbatchLines(includeTime: Bool) -> [String] {
        var lines: [String] = []
        if let partition { lines.append("#SBATCH --partition=\(partition)") }
        if includeTime, let time { lines.append("#SBATCH --time=\(time)") }
        if let memory { lines.append("#SBATCH --mem=\(memory)") }
        if let account { lines.append("#SBATCH --account=\(account)") }
        lines += extraSbatchArguments.map { "#SBATCH \($0)" }
        return lines
    }

    /// `word` quoted for bash when it needs it.
    public static func shellWord(_ word: String) -> String {
        let plain = word.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0) }
        if plain, !word.isEmpty { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// What `dvebench submit` submitted, in `OUT/submission.json`: which rows each shard runs and the
/// job ids, so `dvebench status` can list rows that have not started yet.
public struct SubmissionRecord: Codable, Sendable, Equatable {
    public struct ShardRows: Codable, Sendable, Equatable {
        public var index: Int
        public var folder: String
        public var rows: [String]
    }

    public static let fileName = "submission.json"

    public var tasks: Int
    public var shards: [ShardRows]
    public var arrayJob: String?
    public var mergeJob: String?
    public var submitted: Date

    public init(tasks: Int, rowIDs: [String], submitted: Date = Date()) {
        self.tasks = tasks
        self.submitted = submitted
        shards = (1...tasks).map { index in
            let shard = Shard(index: index, count: tasks)
            return ShardRows(index: index, folder: SlurmSubmission.shardFolder(index),
                             rows: rowIDs.sorted().enumerated().filter { shard.selects(position: $0.offset) }.map(\.element))
        }
    }

    public static func read(from directory: String) throws -> SubmissionRecord? {
        try StatusJSON.read(SubmissionRecord.self, from: directory, fileName: fileName)
    }

    public func write(to directory: String) throws {
        try StatusJSON.write(self, to: (directory as NSString).appendingPathComponent(Self.fileName))
    }
}
