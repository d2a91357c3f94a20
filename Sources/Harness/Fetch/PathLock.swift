import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A blocking, inter-process lock on a path of its own (`flock` on a small file that exists only
/// while the lock is held). Unlike `OutputLock`, which refuses a second writer at once, this waits:
/// two `fetch` commands into one folder take turns on each checkpoint, and the second finds the file
/// the first completed instead of downloading it again.
///
/// The file is unlinked on release, so no lock files are left behind. That is safe only because a
/// taker checks, once it holds the lock, that the path still names the file it locked: a process
/// that waited on a file its predecessor has since unlinked starts over on the new one.
final class PathLock {
    let path: String
    private let descriptor: Int32

    /// Waits until the lock on `path` is free and takes it (creating the parent folder when missing).
    init(path: String) throws(FetchError) {
        self.path = path
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty {
            do { try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true) } catch {
                throw .fileSystem(path: parent, reason: "\(error)")
            }
        }
        descriptor = try Self.acquire(path)
    }

    private static func acquire(_ path: String) throws(FetchError) -> Int32 {
        while true {
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw .fileSystem(path: path, reason: "cannot create lock: \(String(cString: strerror(errno)))") }
            var result: Int32
            repeat { result = flock(fd, LOCK_EX) } while result != 0 && errno == EINTR
            guard result == 0 else {
                let reason = String(cString: strerror(errno))
                close(fd)
                throw .fileSystem(path: path, reason: "cannot lock: \(reason)")
            }
            var held = stat(), named = stat()
            if fstat(fd, &held) == 0, stat(path, &named) == 0, held.st_ino == named.st_ino, held.st_dev == named.st_dev {
                return fd
            }
            close(fd)
        }
    }

    deinit {
        unlink(path)
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
