internal import CHDF5
internal import Foundation

extension HDF5File {
    /// Where `create(at: path)` writes before `commit()`: a hidden sibling, so the final `rename`
    /// stays on one file system, and named after `path` so leftovers can be found again.
    static func temporarySibling(of path: String, suffix: String) -> String {
        let url = URL(fileURLWithPath: path)
        return url.deletingLastPathComponent()
            .appendingPathComponent("\(temporaryPrefix(of: url))\(suffix)").path
    }

    private static func temporaryPrefix(of url: URL) -> String { ".\(url.lastPathComponent).tmp-" }

    /// Deletes temporary files that writes of `path` left behind when their process died before
    /// `commit()` or `close()` (a crash or SIGKILL mid-write). `path` itself is never touched.
    ///
    /// Only safe while no other process is writing `path`: a live writer's temporary file looks
    /// exactly like an abandoned one. Returns the paths removed.
    @discardableResult
    public static func removeAbandonedTemporaries(of path: String) -> [String] {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent()
        let prefix = temporaryPrefix(of: url)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return [] }
        var removed: [String] = []
        for name in names.sorted() where name.hasPrefix(prefix) {
            let candidate = directory.appendingPathComponent(name).path
            if (try? FileManager.default.removeItem(atPath: candidate)) != nil { removed.append(candidate) }
        }
        return removed
    }
}

extension HDF5Library {
    /// The version of the libhdf5 this process runs with, "major.minor.release" (e.g. "1.10.8"),
    /// asked of the library itself rather than taken from the headers it was built against.
    public static var version: String {
        var major: UInt32 = 0, minor: UInt32 = 0, release: UInt32 = 0
        let status = (try? run { () throws(HDF5Error) -> herr_t in H5get_libversion(&major, &minor, &release) }) ?? -1
        return status >= 0 ? "\(major).\(minor).\(release)" : "unknown"
    }
}
