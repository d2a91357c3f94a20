import Foundation
import Synchronization
import Testing
@testable import Harness
import TestSupport

/// The pieces of the cluster path that do not need a Slurm: an interrupted row (SIGTERM from a
/// scheduler) checkpoints and resumes to the uninterrupted numbers, `status.json` and the status
/// report, and the submitted scripts. scripts/test-slurm.sh runs them on a real Slurm.
@Suite(.serialized) struct ClusterTests {
    final class SignalFlag: Sendable {
        private let number = Atomic<Int32>(0)
        var requested: Int32? { let n = number.load(ordering: .acquiring); return n == 0 ? nil : n }
        func raise(_ signal: Int32) { number.store(signal, ordering: .releasing) }
    }

    static let row = "S01/celeba-smallnet-16d/matching"

    static func options(_ out: URL, stop: @escaping @Sendable () -> Int32? = { nil }) -> RunnerOptions {
        let scale = RunScale(name: "test-interrupt", synthCount: [.celeba: 100, .aflwR: 40, .aflwM: 40, .threeHundredW: 40],
                             synthSeed: 3, trainingSteps: 8, trainingBatchPairs: 2, finetuneSteps: 1,
                             regressionEpochs: 2, regressionBatchSize: 8)
        var options = RunnerOptions(mode: .train, scale: scale, outputDirectory: out.path,
                                    repositoryRoot: RunnerManifests.repositoryRoot, threads: 2)
        options.stopRequest = stop
        return options
    }

    @Test func anInterruptedTrainingCheckpointsAndTheRerunEndsWithTheUninterruptedNumbers() throws {
        let work = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let rows = [try RunnerManifests.row(Self.row)]
        let uninterrupted = try Runner(options: Self.options(work.appendingPathComponent("whole"))).run(rows)

        // SIGTERM arrives at the fourth iteration's progress report.
        let signal = SignalFlag()
        let out = work.appendingPathComponent("interrupted")
        var seen: [Int] = []
        #expect(throws: RunInterrupted.self) {
            try Runner(options: Self.options(out) { signal.requested }).run(rows) { event in
                if case .rowProgress(_, .training(let p)) = event {
                    seen.append(p.completedIterations)
                    if p.completedIterations == 4 { signal.raise(SIGTERM) }
                }
            }
        }
        #expect(seen == [1, 2, 3, 4], "stopped before the fifth iteration")
        #expect(try ResultsFile.load(Self.options(out).resultsPath) == nil, "an interrupted row is not recorded as failed")
        let status = try #require(try RunStatus.read(from: out.path))
        #expect(status.rows.map(\.state) == [.interrupted])
        #expect(!status.active)
        let report = try StatusReport.read(outputDirectory: out.path)
        #expect(report.lines.map(\.state) == [.interrupted])
        #expect(report.exitCode == 3)

        var resumedFrom: Int?
        let resumed = try Runner(options: Self.options(out)).run(rows) { event in
            if case .rowProgress(_, .training(let p)) = event, resumedFrom == nil { resumedFrom = p.completedIterations }
        }
        #expect(resumedFrom == 5, "the rerun resumed from the checkpoint written at the interruption")
        #expect(resumed.rows.map(\.metrics) == uninterrupted.rows.map(\.metrics))
        let done = try StatusReport.read(outputDirectory: out.path)
        #expect(done.lines.map(\.state) == [.done])
        #expect(done.exitCode == 0)
    }

    @Test func aRunningRowWhoseWriterIsGoneOrSilentIsInterrupted() throws {
        let work = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        func write(_ status: RunStatus) throws {
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601
            try encoder.encode(status).write(to: work.appendingPathComponent(RunStatus.fileName))
        }
        let now = Date()
        let rows = [RunStatus.Row(id: "A", state: .done, detail: nil), RunStatus.Row(id: "B", state: .running, detail: "training 3/8 it"),
                    RunStatus.Row(id: "C", state: .pending, detail: nil)]
        let me = ProcessInfo.processInfo
        var status = RunStatus(rows: rows, host: me.hostName, pid: me.processIdentifier, started: now, updated: now, active: true)
        try write(status)
        #expect(try StatusReport.read(outputDirectory: work.path, now: now).lines.map(\.state) == [.pending, .running, .pending],
                "A is done only once results.h5 has it")
        #expect(try StatusReport.read(outputDirectory: work.path, now: now).lines[1].detail == "training 3/8 it")

        status.updated = now.addingTimeInterval(-3600)
        try write(status)
        let silent = try StatusReport.read(outputDirectory: work.path, now: now, staleAfter: 600)
        #expect(silent.lines[1].state == .interrupted)
        #expect(silent.lines[1].detail?.contains("60 min") == true)

        status.updated = now
        status.host = "another-node"
        try write(status)
        #expect(try StatusReport.read(outputDirectory: work.path, now: now).lines[1].state == .running,
                "on another host only the clock tells")

        status.host = me.hostName
        status.pid = Int32.max - 7  // no such process
        try write(status)
        #expect(try StatusReport.read(outputDirectory: work.path, now: now).lines[1].state == .interrupted)

        #expect(throws: StatusFileError.self) { try StatusReport.read(outputDirectory: work.appendingPathComponent("nothing").path) }
        try Data("{not json".utf8).write(to: work.appendingPathComponent(RunStatus.fileName))
        #expect(throws: StatusFileError.self) { try StatusReport.read(outputDirectory: work.path) }
    }

    @Test func submittedShardsAreTheRunnersShardsAndStatusListsUnstartedOnesAsPending() throws {
        let work = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let all = try RunnerManifests.loader.loadAll().filter { $0.manifest.table.short == "S01" }
        let ids = all.map(\.manifest.id)
        for tasks in 1...4 {
            let record = SubmissionRecord(tasks: tasks, rowIDs: ids.shuffled())
            for shard in record.shards {
                var options = Self.options(work)
                options.shard = Shard(index: shard.index, count: tasks)
                #expect(shard.rows == Runner(options: options).selected(all).map(\.manifest.id))
            }
            #expect(record.shards.flatMap(\.rows).sorted() == ids.sorted())
        }
        // Dates go to the file in whole seconds (ISO 8601).
        let record = SubmissionRecord(tasks: 3, rowIDs: ids, submitted: Date(timeIntervalSince1970: 1_800_000_000))
        try record.write(to: work.path)
        #expect(try SubmissionRecord.read(from: work.path) == record)
        let report = try StatusReport.read(outputDirectory: work.path)
        #expect(report.lines.count == ids.count)
        #expect(report.lines.allSatisfy { $0.state == .pending })
        #expect(Set(report.lines.compactMap(\.shard)) == ["1/3", "2/3", "3/3"])
    }

    @Test func scriptsAreValidBashThatQuoteWhatTheyMustAndCarryEveryOption() throws {
        let submission = SlurmSubmission(
            executable: "/opt/dve bench/dvebench", repository: "/home/o'brien/dvebench",
            runArguments: ["--table", "S01", "--id", "*smallnet-16d*", "--scale", "quick"], output: "/scratch/runs/t 01",
            tasks: 3, cpusPerTask: 4, partition: "cpu", time: "12:00:00", memory: "8G", account: "vgg",
            extraSbatchArguments: ["--qos=long"])
        let array = submission.arrayScript, merge = submission.mergeScript
        for line in ["#SBATCH --array=1-3", "#SBATCH --cpus-per-task=4", "#SBATCH --requeue", "#SBATCH --partition=cpu",
                     "#SBATCH --time=12:00:00", "#SBATCH --mem=8G", "#SBATCH --account=vgg", "#SBATCH --qos=long",
                     "cd '/home/o'\\''brien/dvebench'", "exec '/opt/dve bench/dvebench' run --table S01 --id '*smallnet-16d*' --scale quick \\",
                     "    --shard \"$shard/3\" --threads \"${SLURM_CPUS_PER_TASK:-1}\" \\"] {
            #expect(array.split(separator: "\n").contains { $0 == line }, "array script lacks: \(line)")
        }
        #expect(merge.contains("'/opt/dve bench/dvebench' diff '/scratch/runs/t 01/results.h5' --repository '/home/o'\\''brien/dvebench'"))
        #expect(merge.contains("'/opt/dve bench/dvebench' report '/scratch/runs/t 01/results.h5' --repository '/home/o'\\''brien/dvebench'"))
        #expect(merge.contains("'/scratch/runs/t 01/shard-3/results.h5' || exit 1"))
        let work = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        for (name, script) in [("array.sh", array), ("merge.sh", merge)] {
            let path = work.appendingPathComponent(name)
            try Data(script.utf8).write(to: path)
            let bash = Process()
            bash.executableURL = URL(fileURLWithPath: "/bin/bash")
            bash.arguments = ["-n", path.path]
            try bash.run()
            bash.waitUntilExit()
            #expect(bash.terminationStatus == 0, "\(name) is not valid bash")
        }
        #expect(SlurmSubmission.shellWord("plain-word_1.2/x=y") == "plain-word_1.2/x=y")
        #expect(SlurmSubmission.shellWord("") == "''")
        #expect(SlurmSubmission.shellWord("$(rm -rf /)") == "'$(rm -rf /)'")
    }
}
