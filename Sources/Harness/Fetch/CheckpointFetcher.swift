import Foundation
import Synchronization

/// Downloads released checkpoints into a folder: resumable (a `.part` file continued with an HTTP
/// `Range` request), atomic (the finished `.part` is renamed into place), several at once, and
/// checked against `checkpoints.lock` (SHA-256 and size of each file's first complete download).
///
/// Two fetchers may work on one folder at once: each file is fetched under a `PathLock` of its own,
/// so the second waits for the first's download of that file, then finds and verifies it.
public struct CheckpointFetcher: Sendable {
    /// The `--checkpoints` folder.
    public var directory: String
    /// `expected/checkpoints.lock` of the repository.
    public var lockFile: String
    /// Files fetched at the same time.
    public var jobs: Int
    /// How often a broken connection is continued before the file counts as failed.
    public var retries: Int = 3
    /// Seconds before the first retry (doubling after each).
    public var retryDelay: Double = 1

    public init(directory: String, lockFile: String, jobs: Int) {
        self.directory = directory
        self.lockFile = lockFile
        self.jobs = max(1, jobs)
    }

    /// What the folder holds for a checkpoint before fetching.
    public enum Presence: Sendable, Equatable {
        case missing
        /// A `.part` file with this many bytes from an interrupted download.
        case partial(Int64)
        case present(Int64)
    }

    public enum Event: Sendable {
        /// A download (or its continuation from byte `offset`) begins.
        case started(file: String, url: String, offset: Int64)
        /// `bytes` of the file are on disk; `total` when the server said it.
        case progress(file: String, bytes: Int64, total: Int64?)
        /// A retry, or a restart because the server ignored the range.
        case note(file: String, message: String)
        case finished(file: String, Outcome)
    }

    public enum Outcome: Sendable, Equatable {
        /// Downloaded now: from byte `resumedAt` (0: from the start), `restarted` when a range was
        /// asked for and ignored; `recorded` when this download created the file's lock entry.
        case downloaded(bytes: Int64, resumedAt: Int64, restarted: Bool, recorded: Bool)
        /// Already there and matching the lock (or recorded now, when the lock had no entry).
        case present(recorded: Bool)
        case failed(FetchError)
    }

    public func destination(_ item: CheckpointFetchItem) -> String { (directory as NSString).appendingPathComponent(item.file) }

    public func presence(_ item: CheckpointFetchItem) -> Presence {
        let path = destination(item)
        if let size = Self.fileSize(path) { return .present(size) }
        if let size = Self.fileSize(path + ".part") { return .partial(size) }
        return .missing
    }

    /// Each item's size as its server announces it (HEAD), in parallel; nil with the reason when not.
    public func announcedSizes(_ items: [CheckpointFetchItem]) -> [String: (bytes: Int64?, failure: String?)] {
        let sizes = Mutex<[String: (bytes: Int64?, failure: String?)]>([:])
        ParallelJobs.run(count: items.count, jobs: jobs) { i in
            let item = items[i]
            let answer: (Int64?, String?)
            if let url = URL(string: item.url) {
                let head = HTTPTransfer.size(of: url)
                if let status = head.status, !(200..<300).contains(status) {
                    answer = (nil, "HTTP \(status) \(FetchError.reason(status))".trimmingCharacters(in: .whitespaces))
                } else {
                    answer = (head.bytes, head.failure ?? (head.bytes == nil ? "the server gives no size" : nil))
                }
            } else {
                answer = (nil, "not a URL")
            }
            sizes.withLock { $0[item.file] = answer }
        }
        return sizes.withLock { $0 }
    }

    /// Fetches every item, `jobs` at a time; one failure does not stop the others.
    public func fetch(_ items: [CheckpointFetchItem], events: @escaping @Sendable (Event) -> Void) -> [String: Outcome] {
        let outcomes = Mutex<[String: Outcome]>([:])
        ParallelJobs.run(count: items.count, jobs: jobs) { i in
            let item = items[i]
            let outcome: Outcome
            do throws(FetchError) { outcome = try fetch(item, events: events) } catch { outcome = .failed(error) }
            outcomes.withLock { $0[item.file] = outcome }
            events(.finished(file: item.file, outcome))
        }
        return outcomes.withLock { $0 }
    }

    /// Rechecks a present file against the lock (`fetch --verify`): nil when it matches or is
    /// absent, the mismatch otherwise; `.fileSystem` when the lock has no entry for it.
    public func verify(_ item: CheckpointFetchItem) -> VerifyOutcome {
        let path = destination(item)
        guard Self.fileSize(path) != nil else { return .absent }
        do throws(FetchError) {
            guard let entry = try CheckpointLockFile(path: lockFile)[item.file] else { return .notInLock }
            try CheckpointLockFile.verify(path, against: entry, lockFile: lockFile)
            return .matches
        } catch {
            return .failed(error)
        }
    }

    public enum VerifyOutcome: Sendable, Equatable {
        case matches, absent, notInLock
        case failed(FetchError)
    }

    private func fetch(_ item: CheckpointFetchItem, events: @escaping @Sendable (Event) -> Void) throws(FetchError) -> Outcome {
        let path = destination(item)
        let partial = path + ".part"
        let turn = try PathLock(path: path + ".fetching")
        defer { withExtendedLifetime(turn) {} }
        // Read under the file's lock: another fetch may have recorded it while this one waited.
        let entry = try CheckpointLockFile(path: lockFile)[item.file]

        if Self.fileSize(path) != nil {
            if let entry {
                try CheckpointLockFile.verify(path, against: entry, lockFile: lockFile)
                return .present(recorded: false)
            }
            try record(path, item: item)
            return .present(recorded: true)
        }

        let resumedAt = Self.fileSize(partial) ?? 0
        var offset = resumedAt
        var restarted = false
        if let entry, offset >= entry.size {
            // An earlier download already has every byte: check it rather than ask for more.
            return try finish(partial, into: path, item: item, entry: entry, bytes: offset, resumedAt: resumedAt, restarted: false)
        }
        guard let url = URL(string: item.url) else { throw .unexpectedResponse(url: item.url, file: item.file, reason: "not a URL") }
        var failures = 0, rangeRefusals = 0
        while true {
            events(.started(file: item.file, url: item.url, offset: offset))
            let result = try HTTPTransfer.get(url, into: partial, from: offset) { bytes, total in
                events(.progress(file: item.file, bytes: bytes, total: total))
            }
            switch result {
            case .complete(let bytes, let fresh):
                if fresh { events(.note(file: item.file, message: "the server ignored the range request; downloaded again from the start")) }
                restarted = restarted || fresh
                return try finish(partial, into: path, item: item, entry: entry, bytes: bytes, resumedAt: resumedAt, restarted: restarted)
            case .interrupted(let bytes, let fresh, let reason):
                restarted = restarted || fresh
                failures += 1
                guard failures <= retries else {
                    throw .transfer(url: item.url, file: item.file, reason: reason, partial: partial, bytes: bytes)
                }
                let delay = retryDelay * Double(1 << (failures - 1))
                events(.note(file: item.file, message: "\(reason); continuing from byte \(bytes) in \(String(format: "%.0f", delay)) s "
                             + "(retry \(failures) of \(retries))"))
                Thread.sleep(forTimeInterval: delay)
                offset = bytes
            case .rangeNotSatisfiable:
                rangeRefusals += 1
                guard rangeRefusals == 1 else {
                    throw .unexpectedResponse(url: item.url, file: item.file, reason: "416 for a request from byte 0")
                }
                events(.note(file: item.file, message: "the server has no bytes past \(offset); downloading again from the start"))
                restarted = true
                offset = 0
            case .httpStatus(let code):
                throw .httpStatus(code: code, url: item.url, file: item.file)
            case .unexpected(let reason):
                throw .unexpectedResponse(url: item.url, file: item.file, reason: reason)
            }
        }
    }

    /// Puts a complete `.part` in place: checked against the lock when it has an entry (a mismatch
    /// still lands in place, so that neither `run` nor a later fetch can take it for good or fetch
    /// it again silently), recorded in the lock otherwise.
    private func finish(_ partial: String, into path: String, item: CheckpointFetchItem, entry: CheckpointLockEntry?,
                        bytes: Int64, resumedAt: Int64, restarted: Bool) throws(FetchError) -> Outcome {
        let (sha, size) = try CheckpointLockFile.digest(partial)
        guard rename(partial, path) == 0 else {
            throw .fileSystem(path: path, reason: "cannot move \(partial) into place: \(String(cString: strerror(errno)))")
        }
        if let entry {
            if sha != entry.sha256 || size != entry.size {
                throw .mismatch(path: path, lockFile: lockFile, expected: entry, actualSHA256: sha, actualSize: size)
            }
            return .downloaded(bytes: bytes, resumedAt: resumedAt, restarted: restarted, recorded: false)
        }
        try record(path, item: item, digest: (sha, size))
        return .downloaded(bytes: bytes, resumedAt: resumedAt, restarted: restarted, recorded: true)
    }

    private func record(_ path: String, item: CheckpointFetchItem, digest: (sha256: String, size: Int64)? = nil) throws(FetchError) {
        let (sha, size) = if let digest { digest } else { try CheckpointLockFile.digest(path) }
        let mine = CheckpointLockEntry(sha256: sha, size: size)
        let held = try CheckpointLockFile.record(mine, for: item.file, in: lockFile)
        if held != mine {
            throw .mismatch(path: path, lockFile: lockFile, expected: held, actualSHA256: sha, actualSize: size)
        }
    }

    static func fileSize(_ path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0, Int(info.st_mode) & Int(S_IFMT) == Int(S_IFREG) else { return nil }
        return Int64(info.st_size)
    }
}

/// Runs `count` pieces of blocking work (network waits, not computation) on `jobs` threads of their
/// own: `concurrentPerform` would cap them at the core count.
enum ParallelJobs {
    static func run(count: Int, jobs: Int, _ body: @escaping @Sendable (Int) -> Void) {
        guard count > 0 else { return }
        let next = Mutex(0)
        let group = DispatchGroup()
        for _ in 0..<min(max(1, jobs), count) {
            group.enter()
            let worker = Thread {
                while true {
                    let i = next.withLock { n -> Int in defer { n += 1 }; return n }
                    guard i < count else { break }
                    body(i)
                }
                group.leave()
            }
            worker.start()
        }
        group.wait()
    }
}
