import Foundation

/// Where every row of a run stands, read from its output folder: `OUT/submission.json` and the
/// shard folders of a `dvebench submit`, or the `status.json` and `results.h5` of a single run.
///
/// results.h5 is the record of finished, skipped and failed rows. status.json adds the rows still
/// to run and the one running, with its progress. A running row whose status has not been written
/// for `staleAfter` seconds (or whose process is gone, when it ran on this host) belongs to a task
/// that was killed or preempted: it shows as interrupted, and resumes when the task runs again.
public struct StatusReport: Sendable, Equatable {
    public struct Line: Sendable, Equatable {
        public var id: String
        public var shard: String?
        public var state: RunStatus.State
        public var detail: String?
    }

    public var lines: [Line]

    public static let defaultStaleAfter: TimeInterval = 600

    public static func read(outputDirectory: String, now: Date = Date(),
                            staleAfter: TimeInterval = defaultStaleAfter) throws -> StatusReport {
        if let submission = try SubmissionRecord.read(from: outputDirectory) {
            var lines: [Line] = []
            for shard in submission.shards {
                let folder = (outputDirectory as NSString).appendingPathComponent(shard.folder)
                lines += try readFolder(folder, plannedRows: shard.rows, shard: "\(shard.index)/\(submission.tasks)",
                                        now: now, staleAfter: staleAfter)
            }
            return StatusReport(lines: lines)
        }
        let ran = [RunStatus.fileName, Runner.resultsFileName].contains {
            FileManager.default.fileExists(atPath: (outputDirectory as NSString).appendingPathComponent($0))
        }
        guard ran else {
            throw StatusFileError(path: outputDirectory, reason: "no \(SubmissionRecord.fileName), \(RunStatus.fileName) or \(Runner.resultsFileName): nothing has run here")
        }
        return StatusReport(lines: try readFolder(outputDirectory, plannedRows: nil, shard: nil, now: now, staleAfter: staleAfter))
    }

    /// `shard`: the submission's name for the folder; nil takes the run's own (`--shard`), if any.
    private static func readFolder(_ folder: String, plannedRows: [String]?, shard: String?, now: Date,
                                   staleAfter: TimeInterval) throws -> [Line] {
        let status = try RunStatus.read(from: folder)
        let shard = shard ?? status?.shard
        let resultsPath = (folder as NSString).appendingPathComponent(Runner.resultsFileName)
        let results = try ResultsFile.load(resultsPath)
        let recorded = Dictionary(results?.rows.map { ($0.id, $0) } ?? [], uniquingKeysWith: { _, last in last })
        let statusRows = Dictionary(status?.rows.map { ($0.id, $0) } ?? [], uniquingKeysWith: { _, last in last })
        let ids = plannedRows ?? status?.rows.map(\.id) ?? results?.rows.map(\.id) ?? []
        let alive = status.map { isAlive($0, now: now, staleAfter: staleAfter) } ?? false
        return ids.map { id in
            let current = statusRows[id]
            if let current, current.state == .running {
                if alive { return Line(id: id, shard: shard, state: .running, detail: current.detail) }
                let heard = status.map { ago(now.timeIntervalSince($0.updated)) } ?? "?"
                return Line(id: id, shard: shard, state: .interrupted,
                            detail: "last heard \(heard) ago" + (current.detail.map { " at \($0)" } ?? "") + "; resumes when the task runs again")
            }
            if let row = recorded[id] {
                switch row.status {
                case .finished:
                    let metrics = row.metrics.map { String(format: "%@ %.3f", $0.name, $0.value) }.joined(separator: ", ")
                    return Line(id: id, shard: shard, state: .done, detail: metrics + String(format: " (%.0f s)", row.wallSeconds))
                case .skipped(let reason): return Line(id: id, shard: shard, state: .skipped, detail: reason)
                case .failed(let message): return Line(id: id, shard: shard, state: .failed, detail: message)
                }
            }
            if let current, current.state == .interrupted {
                return Line(id: id, shard: shard, state: .interrupted, detail: current.detail)
            }
            return Line(id: id, shard: shard, state: .pending, detail: nil)
        }
    }

    /// Whether the process that writes `status` is still at work.
    private static func isAlive(_ status: RunStatus, now: Date, staleAfter: TimeInterval) -> Bool {
        guard status.active, now.timeIntervalSince(status.updated) < staleAfter else { return false }
        // On this host a dead writer is known for sure; elsewhere (a compute node) only the clock tells.
        if status.host == ProcessInfo.processInfo.hostName { return kill(status.pid, 0) == 0 || errno == EPERM }
        return true
    }

    private static func ago(_ seconds: TimeInterval) -> String {
        seconds < 120 ? String(format: "%.0f s", seconds) : seconds < 7200 ? String(format: "%.0f min", seconds / 60)
            : String(format: "%.1f h", seconds / 3600)
    }

    /// One line per row (row, shard when there are shards, state, detail) under a header.
    public var tableLines: [String] {
        let hasShards = lines.contains { $0.shard != nil }
        var table = TextTable(hasShards ? ["row", "shard", "state", "detail"] : ["row", "state", "detail"])
        for line in lines {
            table.add([line.id] + (hasShards ? [line.shard ?? ""] : []) + [line.state.rawValue, line.detail ?? ""])
        }
        return table.lines
    }

    public func count(_ state: RunStatus.State) -> Int { lines.filter { $0.state == state }.count }

    public var summary: String {
        "\(lines.count) rows: \(count(.done)) done, \(count(.running)) running, \(count(.interrupted)) interrupted, "
            + "\(count(.failed)) failed, \(count(.skipped)) skipped, \(count(.pending)) pending"
    }

    /// 0 when every row is done or skipped, 1 when one failed, 3 while rows remain to run.
    public var exitCode: Int32 {
        if count(.failed) > 0 { return 1 }
        return lines.allSatisfy { $0.state == .done || $0.state == .skipped } ? 0 : 3
    }
}
