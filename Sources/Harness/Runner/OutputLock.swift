import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One writer per output folder. `dvebench run`, `reproduce`, `merge` and `bless` hold an advisory
/// lock (`flock`) on `DIR/.dvebench.lock` while they write into DIR, so a second command on the same
/// folder fails at once, naming the first, instead of both finishing and one's rows silently
/// replacing the other's. The kernel drops the lock when its process ends, however it ends, so a
/// killed run never leaves a folder that needs cleaning by hand.
///
/// Within one process the lock is shared: `reproduce` holds it for the whole command and its runner
/// takes it again for the rows.
public final class OutputLock: @unchecked Sendable {
    public static let fileName = ".dvebench.lock"

    /// Folders this process holds, with how many holders each has.
    private static let held = Mutex<[String: (descriptor: Int32, holders: Int)]>([:])

    private let key: String
    public let path: String

    /// Takes the lock on `directory` (created when missing), recording `command` as its holder.
    public init(directory: String, command: String) throws(OutputLockError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .cannotOpen(path: directory, reason: "\(error)")
        }
        key = URL(fileURLWithPath: directory).standardizedFileURL.resolvingSymlinksInPath().path
        path = (directory as NSString).appendingPathComponent(Self.fileName)
        let key = self.key, path = self.path
        try Self.held.withLock { (held) throws(OutputLockError) in
            if var entry = held[key] {
                entry.holders += 1
                held[key] = entry
                return
            }
            held[key] = (try Self.take(path: path, directory: directory, command: command), 1)
        }
    }

    deinit {
        Self.held.withLock { held in
            guard var entry = held[key] else { return }
            entry.holders -= 1
            if entry.holders > 0 { held[key] = entry; return }
            held[key] = nil
            flock(entry.descriptor, LOCK_UN)
            close(entry.descriptor)
        }
    }

    private static func take(path: String, directory: String, command: String) throws(OutputLockError) -> Int32 {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno
            let holder = Self.readHolder(fd)
            close(fd)
            if reason == EWOULDBLOCK { throw .inUse(directory: directory, holder: holder) }
            throw .cannotOpen(path: path, reason: String(cString: strerror(reason)))
        }
        let me = ProcessInfo.processInfo
        let holder = "pid \(me.processIdentifier) on \(me.hostName) since \(ISO8601DateFormatter().string(from: Date())): \(command)\n"
        // The holder's description is for the error message of whoever comes second; losing it loses nothing.
        _ = ftruncate(fd, 0)
        _ = holder.withCString { pwrite(fd, $0, strlen($0), 0) }
        return fd
    }

    private static func readHolder(_ fd: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = pread(fd, &buffer, buffer.count, 0)
        guard count > 0 else { return "another process" }
        return String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

public enum OutputLockError: Error, CustomStringConvertible, Sendable {
    case inUse(directory: String, holder: String)
    case cannotOpen(path: String, reason: String)

    public var description: String {
        switch self {
        case .inUse(let directory, let holder):
            "\(directory) is in use by another dvebench (\(holder)); wait for it to end or choose another output folder"
        case .cannotOpen(let path, let reason):
            "cannot lock \(path): \(reason)"
        }
    }
}
