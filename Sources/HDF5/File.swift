internal import CHDF5
internal import Foundation

/// An open HDF5 file: either a golden file opened read-only, or a result file
/// being written through a temporary sibling.
///
/// Thread safety: the object may be shared between threads. Its only mutable
/// state (the HDF5 file ID) is read and written exclusively inside
/// `HDF5Library.run`, i.e. under the module's global lock.
///
/// Atomic writes: `create(at:)` never touches `path` itself. Everything is
/// written to a temporary file in the same directory (so the final `rename` is
/// atomic on the same file system), and only `commit()` publishes it. A file
/// that is closed, or deallocated, without `commit()` is discarded. Readers of
/// `path` therefore see either the previous file or the complete new one,
/// never a half-written result.
public final class HDF5File: @unchecked Sendable {
    /// The path given to `open`/`create`; for written files the final path.
    public let path: String
    /// True for files from `create(at:)`, which accept writes until committed.
    public let isWritable: Bool
    /// Where the data of a file being written lives until `commit()`.
    let temporaryPath: String?
    /// Guarded by the HDF5 lock; nil once closed or committed.
    private var id: hid_t?

    private init(path: String, id: hid_t, isWritable: Bool, temporaryPath: String?) {
        self.path = path
        self.id = id
        self.isWritable = isWritable
        self.temporaryPath = temporaryPath
    }

    deinit {
        close()
    }

    /// The root group, "/".
    public var root: HDF5Group { HDF5Group(file: self, path: "/") }

    /// Opens an existing file read-only.
    ///
    /// Fails with `cannotOpen` naming the path and saying whether the file is
    /// missing, is not HDF5 at all, or looks like HDF5 but is damaged
    /// (typically truncated), with HDF5's error stack attached.
    public static func open(_ path: String) throws(HDF5Error) -> HDF5File {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .cannotOpen(file: path, reason: .missing, stack: HDF5ErrorStack())
        }
        guard !isDirectory.boolValue else {
            throw .cannotOpen(file: path, reason: .notARegularFile, stack: HDF5ErrorStack())
        }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw .cannotOpen(file: path, reason: .notReadable, stack: HDF5ErrorStack())
        }
        return try HDF5Library.run { () throws(HDF5Error) -> HDF5File in
            let fapl = try fileAccessList(path)
            let id = H5Fopen(path, dve_h5f_acc_rdonly(), fapl.raw)
            guard id >= 0 else {
                let stack = HDF5Library.takeErrorStack()
                let reason: HDF5OpenFailure = hasHDF5Signature(path) ? .damaged : .notHDF5
                throw .cannotOpen(file: path, reason: reason, stack: stack)
            }
            return HDF5File(path: path, id: id, isWritable: false, temporaryPath: nil)
        }
    }

    /// Starts writing a new file that will appear at `path` on `commit()`.
    ///
    /// An existing file at `path` is left alone until `commit()` replaces it.
    public static func create(at path: String) throws(HDF5Error) -> HDF5File {
        let temporary = temporarySibling(of: path, suffix: UUID().uuidString)
        return try HDF5Library.run { () throws(HDF5Error) -> HDF5File in
            let fapl = try fileAccessList(path)
            let id = H5Fcreate(temporary, dve_h5f_acc_excl(), dve_h5p_default(), fapl.raw)
            guard id >= 0 else {
                throw .cannotOpen(file: path, reason: .cannotCreate, stack: HDF5Library.takeErrorStack())
            }
            return HDF5File(path: path, id: id, isWritable: true, temporaryPath: temporary)
        }
    }

    /// Writes a complete file in one go: creates it, runs `body` on the root
    /// group, and commits. If `body` (or the commit) throws, nothing appears at
    /// `path` and the temporary file is removed; the error is rethrown as is.
    @discardableResult
    public static func write<T>(to path: String, _ body: (HDF5Group) throws -> T) throws -> T {
        let file = try create(at: path)
        do {
            let result = try body(file.root)
            try file.commit()
            return result
        } catch {
            file.close()
            throw error
        }
    }

    /// Publishes a file from `create(at:)`: closes it (flushing everything),
    /// syncs it to disk and renames it onto `path`. Afterwards the object is
    /// closed; further use throws `fileClosed`.
    public func commit() throws(HDF5Error) {
        guard isWritable, let temporaryPath else { throw .readOnly(file: path) }
        try HDF5Library.run { () throws(HDF5Error) in
            guard let id else { throw .fileClosed(file: path) }
            self.id = nil
            let rootLocation = HDF5Location(file: path, object: "/")
            guard H5Fclose(id) >= 0 else {
                let stack = HDF5Library.takeErrorStack()
                unlink(temporaryPath)
                let reason = stack.systemError.map { ": \($0)" } ?? ""
                throw .writeFailed(rootLocation, detail: "writing it out failed\(reason); \(path) was left as it was", stack: stack)
            }
            let descriptor = Foundation.open(temporaryPath, O_RDONLY)
            if descriptor >= 0 {
                fsync(descriptor)
                Foundation.close(descriptor)
            }
            guard rename(temporaryPath, path) == 0 else {
                let reason = String(cString: strerror(errno))
                unlink(temporaryPath)
                throw .writeFailed(rootLocation, detail: "renaming \(temporaryPath) into place failed: \(reason)", stack: HDF5ErrorStack())
            }
        }
    }

    /// Releases the file. For a file being written and not yet committed this
    /// discards it: the temporary file is deleted and `path` is untouched.
    /// Idempotent; also called from deinit.
    public func close() {
        HDF5Library.runQuietly {
            guard let id else { return }
            self.id = nil
            H5Fclose(id)
            if let temporaryPath { unlink(temporaryPath) }
        }
    }

    /// The open file ID, or `fileClosed`. Call with the HDF5 lock held.
    func openID() throws(HDF5Error) -> hid_t {
        guard let id else { throw .fileClosed(file: path) }
        return id
    }

    /// Throws `readOnly` unless this file accepts writes.
    func requireWritable() throws(HDF5Error) {
        guard isWritable else { throw .readOnly(file: path) }
    }

    /// STRONG close degree: closing the file closes anything still open in it,
    /// so `commit()` really has flushed everything before the rename.
    private static func fileAccessList(_ path: String) throws(HDF5Error) -> OwnedID {
        let failure = { (stack: HDF5ErrorStack) in
            HDF5Error.cannotOpen(file: path, reason: .cannotCreate, stack: stack)
        }
        let fapl = try OwnedID(H5Pcreate(dve_h5p_file_access()), or: failure)
        try check(H5Pset_fclose_degree(fapl.raw, H5F_CLOSE_STRONG), or: failure)
        return fapl
    }

    /// Looks for the HDF5 signature where the format allows it: at offset 0
    /// or at 512, 1024, 2048, ... after a user block. Distinguishes "some other
    /// file" from "a damaged HDF5 file" for the error message.
    private static func hasHDF5Signature(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]
        guard let size = try? handle.seekToEnd() else { return false }
        var offset: UInt64 = 0
        while offset + 8 <= size {
            guard (try? handle.seek(toOffset: offset)) != nil,
                  let bytes = try? handle.read(upToCount: 8) else { return false }
            if Array(bytes) == signature { return true }
            offset = offset == 0 ? 512 : offset * 2
        }
        return false
    }
}
