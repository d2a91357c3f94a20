import Foundation

/// What the first complete download of a checkpoint was: its SHA-256 and size.
public struct CheckpointLockEntry: Sendable, Equatable {
    public var sha256: String
    public var size: Int64

    public init(sha256: String, size: Int64) {
        self.sha256 = sha256
        self.size = size
    }
}

/// `expected/checkpoints.lock`: one line `<sha256> <size> <checkpoint path>` per released checkpoint,
/// recorded by `dvebench fetch` on the file's first complete download and meant to be committed, so
/// that every later fetch (and `run --mode checkpoint`) gets, byte for byte, what the first one got.
///
/// Lines are sorted by path, so two people who fetched different selections merge cleanly. Updates
/// are read-modify-write under a `PathLock` and land by rename: concurrent fetches neither lose each
/// other's lines nor leave a half-written file.
public struct CheckpointLockFile: Sendable {
    public static let relativePath = "expected/checkpoints.lock"

    public let path: String
    public private(set) var entries: [String: CheckpointLockEntry]

    /// The lock of the repository at `repositoryRoot`.
    public static func path(repositoryRoot: URL) -> String {
        repositoryRoot.appendingPathComponent(relativePath).path
    }

    /// Reads `path`; a missing file is an empty lock (nothing fetched yet).
    public init(path: String) throws(FetchError) {
        self.path = path
        entries = [:]
        guard FileManager.default.fileExists(atPath: path) else { return }
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw .fileSystem(path: path, reason: "cannot read: \(error.localizedDescription)")
        }
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
            guard fields.count == 3 else { throw .malformedLock(path: path, line: index + 1, reason: "\(fields.count) field(s)") }
            let sha = String(fields[0]).lowercased()
            guard sha.count == 64, sha.allSatisfy(\.isHexDigit) else {
                throw .malformedLock(path: path, line: index + 1, reason: "\"\(fields[0])\" is not a SHA-256 in hex")
            }
            guard let size = Int64(fields[1]), size >= 0 else {
                throw .malformedLock(path: path, line: index + 1, reason: "\"\(fields[1])\" is not a size in bytes")
            }
            let file = fields[2].trimmingCharacters(in: .whitespaces)
            guard entries[file] == nil else { throw .malformedLock(path: path, line: index + 1, reason: "\(file) is listed twice") }
            entries[file] = CheckpointLockEntry(sha256: sha, size: size)
        }
    }

    public subscript(file: String) -> CheckpointLockEntry? { entries[file] }

    var text: String {
        var lines = [
            "# SHA-256 and size of each released checkpoint at its first complete download by `dvebench fetch`.",
            "# Commit this file: later fetches and `dvebench run --mode checkpoint` verify against it.",
            "# <sha256> <size in bytes> <path under --checkpoints>",
        ]
        for file in entries.keys.sorted() {
            let entry = entries[file]!
            lines.append("\(entry.sha256) \(entry.size) \(file)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Records `entry` for `file` in the lock at `path`, re-reading it under the update lock so that
    /// a concurrent fetch's lines are kept. Returns the entry the lock holds afterwards: another
    /// process may have recorded the same file first, and then its entry wins (the caller compares).
    static func record(_ entry: CheckpointLockEntry, for file: String, in path: String) throws(FetchError) -> CheckpointLockEntry {
        let guardLock = try PathLock(path: path + ".update")
        defer { withExtendedLifetime(guardLock) {} }
        var lock = try CheckpointLockFile(path: path)
        if let existing = lock.entries[file] { return existing }
        lock.entries[file] = entry
        try AtomicFile.write(Data(lock.text.utf8), to: path)
        return entry
    }

    /// Verifies the file at `path` against `entry`: size first (free), then the hash.
    static func verify(_ path: String, against entry: CheckpointLockEntry, lockFile: String) throws(FetchError) {
        let (sha, size) = try digest(path)
        if size != entry.size || sha != entry.sha256 {
            throw .mismatch(path: path, lockFile: lockFile, expected: entry, actualSHA256: sha, actualSize: size)
        }
    }

    /// SHA-256 and size of the file at `path`.
    static func digest(_ path: String) throws(FetchError) -> (sha256: String, size: Int64) {
        do {
            let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
            return (try SHA256.hexDigest(ofFile: path), size)
        } catch {
            throw .fileSystem(path: path, reason: "cannot read: \(error.localizedDescription)")
        }
    }
}

/// Writes a small file by temporary name and rename, so a reader sees the old or the new file.
enum AtomicFile {
    static func write(_ data: Data, to path: String) throws(FetchError) {
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = (directory.isEmpty ? "." : directory) + "/.\((path as NSString).lastPathComponent).tmp-\(getpid())"
        do {
            if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
            try data.write(to: URL(fileURLWithPath: temporary))
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw .fileSystem(path: path, reason: "cannot write: \(error.localizedDescription)")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw .fileSystem(path: path, reason: "cannot move into place: \(reason)")
        }
    }
}
