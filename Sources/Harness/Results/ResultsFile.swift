import Foundation
import HDF5

/// The runner's view of its results file: read what an earlier (possibly interrupted) run left,
/// and save the whole set again after every row.
///
/// Crash safety: `save` writes a temporary sibling and renames it over `path` (`HDF5File.write`), so
/// a process killed mid-save leaves the previous complete file at `path` plus, at worst, a dead
/// `.<name>.tmp-<uuid>` beside it. `load` never looks at temporaries; `save` deletes dead ones
/// first. That assumes one writer per results file, which holds: shards write separate files.
public enum ResultsFile {
    /// The set saved at `path`, or nil when there is no file there yet (a fresh run).
    public static func load(_ path: String) throws(ResultsFileError) -> ResultSet? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return try ResultSet.read(from: path)
    }

    /// Replaces `path` with `set` atomically, after removing temporaries of crashed saves.
    public static func save(_ set: ResultSet, to path: String) throws(ResultsFileError) {
        HDF5File.removeAbandonedTemporaries(of: path)
        try set.write(to: path)
    }
}
