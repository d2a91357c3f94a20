import Foundation

/// What a run is doing, row by row, in `OUT/status.json`: the plan when it starts, each row's state
/// as it changes and the progress of the running one (at most once a second). `dvebench status`
/// reads it, together with results.h5, to tell done, running, failed and pending rows apart while a
/// run (or a cluster's array of them) is under way. It is advisory: results.h5 stays the record.
public struct RunStatus: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        case pending, running, done, skipped, failed, interrupted
    }

    public struct Row: Codable, Sendable, Equatable {
        public var id: String
        public var state: State
        /// Progress while running ("training 340/4000 it"), the reason of a skip or failure.
        public var detail: String?
    }

    public static let fileName = "status.json"

    public var rows: [Row]
    public var host: String
    public var pid: Int32
    public var started: Date
    /// The last write: a running row whose status stops being updated belongs to a process that died.
    public var updated: Date
    /// False once the run has ended, normally or by an interruption.
    public var active: Bool
    public var shard: String?

    public static func read(from directory: String) throws -> RunStatus? {
        try StatusJSON.read(RunStatus.self, from: directory, fileName: fileName)
    }
}

/// The JSON side files of a run (`status.json`, `submission.json`): ISO 8601 dates, sorted keys,
/// atomic writes, and read errors that name the file.
enum StatusJSON {
    static func read<T: Decodable>(_ type: T.Type, from directory: String, fileName: String) throws -> T? {
        let path = (directory as NSString).appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(type, from: data)
        } catch {
            throw StatusFileError(path: path, reason: "\(error)")
        }
    }

    static func write<T: Encodable>(_ value: T, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(value).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

public struct StatusFileError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var reason: String
    public var description: String { "\(path): not a status file written by dvebench run (\(reason))" }
}

/// Keeps a run's `status.json` current. Writes are atomic (a reader never sees half a file) and
/// progress is written at most every `progressInterval` seconds.
final class RunStatusRecorder {
    private var status: RunStatus
    private let path: String
    private let progressInterval: TimeInterval
    private var lastWrite = Date.distantPast
    private var warned = false

    init(directory: String, rowIDs: [String], shard: Shard?, progressInterval: TimeInterval = 1) {
        path = (directory as NSString).appendingPathComponent(RunStatus.fileName)
        self.progressInterval = progressInterval
        let now = Date()
        status = RunStatus(rows: rowIDs.map { RunStatus.Row(id: $0, state: .pending, detail: nil) },
                           host: ProcessInfo.processInfo.hostName, pid: ProcessInfo.processInfo.processIdentifier,
                           started: now, updated: now, active: true, shard: shard?.description)
        write()
    }

    func set(_ id: String, _ state: RunStatus.State, detail: String? = nil) {
        guard let index = status.rows.firstIndex(where: { $0.id == id }) else { return }
        status.rows[index].state = state
        status.rows[index].detail = detail
        write()
    }

    func progress(_ id: String, _ detail: String) {
        guard Date().timeIntervalSince(lastWrite) >= progressInterval,
              let index = status.rows.firstIndex(where: { $0.id == id }) else { return }
        status.rows[index].detail = detail
        write()
    }

    func end() {
        status.active = false
        write()
    }

    private func write() {
        status.updated = Date()
        lastWrite = status.updated
        do {
            try StatusJSON.write(status, to: path)
        } catch where !warned {
            // The status is advisory; a full disk shows up where it matters, in saving results.h5.
            warned = true
            FileHandle.standardError.write(Data("dvebench: cannot write \(path): \(error)\n".utf8))
        } catch {}
    }
}

extension RowProgress {
    /// One line for `status.json`: the phase and how far it is.
    public var summary: String {
        switch self {
        case .training(let p): return "training \(p.completedIterations)/\(p.totalIterations) it"
        case .matching(let p): return "matching \(p.pairsDone)/\(p.pairsTotal) pairs"
        case .regression(let r):
            switch r {
            case .extraction(let split, let done, let total): return "descriptors \(split) \(done)/\(total)"
            case .descriptors(let report): return "descriptors of \(report.identity.prefix(32)) ready"
            case .limitedAnnotationRun(let annotations, let seed): return "regressor: \(annotations) annotations, seed \(seed)"
            case .epoch(let epoch, let total): return "regressor epoch \(epoch.epoch)/\(total)"
            }
        }
    }
}
