#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file reads and atomic whole-file writes with POSIX calls, so every
/// failure carries the path and `strerror` text.
enum FileIO {
    /// Reads the whole file. Fails with `.unreadableFile` if it cannot be
    /// opened or read (missing, permissions, a directory) or holds more than
    /// `maxBytes` bytes (guards against `/dev/zero`-like inputs).
    static func readAll(path: String, maxBytes: Int) throws(ImageIOError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .unreadableFile(path: path, reason: errnoText()) }
        defer { close(fd) }

        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .unreadableFile(path: path, reason: errnoText()) }
        // st_size is a hint (0 for pipes and /proc files); read until EOF anyway.
        let expected = max(0, Int(info.st_size))
        guard expected <= maxBytes else {
            throw .unreadableFile(path: path, reason: "file is \(expected) bytes, more than the \(maxBytes)-byte limit")
        }
        var buffer = [UInt8](repeating: 0, count: min(maxBytes + 1, max(expected + 1, 4096)))
        var filled = 0
        while true {
            if filled == buffer.count {
                guard buffer.count <= maxBytes else {
                    throw .unreadableFile(path: path, reason: "file is larger than the \(maxBytes)-byte limit")
                }
                buffer.append(contentsOf: repeatElement(0, count: min(buffer.count, maxBytes + 1 - buffer.count)))
            }
            let n = buffer.withUnsafeMutableBytes { raw in
                read(fd, raw.baseAddress! + filled, raw.count - filled)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw .unreadableFile(path: path, reason: errnoText())
            }
            if n == 0 { break }
            filled += n
        }
        buffer.removeSubrange(filled...)
        return buffer
    }

    /// Writes `bytes` to `path` atomically: a temporary file
    /// `.<name>.tmp-XXXXXX` is created in the destination's directory (so the
    /// rename cannot cross file systems), written, `fsync`ed, given mode 0644
    /// and renamed over `path`. Readers see the old file or the new one, never
    /// a partial one; on any failure the temporary file is removed.
    static func writeAtomically(_ bytes: [UInt8], toPath path: String) throws(ImageIOError) {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        guard !name.isEmpty, name != ".", name != ".." else {
            throw .writeFailed(path: path, reason: "path does not name a file")
        }

        var template = Array("\(directory)/.\(name).tmp-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw .writeFailed(path: path, reason: "cannot create a temporary file in \(directory): \(errnoText())")
        }
        let tempPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        var isOpen = true
        var committed = false
        defer {
            if isOpen { close(fd) }
            if !committed { unlink(tempPath) }
        }

        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw in write(fd, raw.baseAddress! + offset, raw.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .writeFailed(path: path, reason: "writing \(tempPath): \(errnoText())")
            }
            offset += n
        }
        guard fchmod(fd, 0o644) == 0, fsync(fd) == 0 else {
            throw .writeFailed(path: path, reason: "syncing \(tempPath): \(errnoText())")
        }
        isOpen = false
        guard close(fd) == 0 else {
            throw .writeFailed(path: path, reason: "closing \(tempPath): \(errnoText())")
        }
        guard rename(tempPath, path) == 0 else {
            throw .writeFailed(path: path, reason: "renaming \(tempPath) into place: \(errnoText())")
        }
        committed = true
    }

    private static func errnoText() -> String {
        let code = errno
        return "\(String(cString: strerror(code))) (errno \(code))"
    }
}
