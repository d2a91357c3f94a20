import Foundation

/// One checkpoint to fetch: where it goes under `--checkpoints` and where it comes from.
public struct CheckpointFetchItem: Sendable, Equatable {
    /// Relative to the checkpoints folder (`checkpoint.file`).
    public var file: String
    public var url: String
    /// Ids of the selected rows that use it.
    public var rows: [String]
}

/// The checkpoints a row selection needs, each once however many rows share it, with the published
/// URLs optionally moved to a mirror.
public struct CheckpointFetchPlan: Sendable {
    /// What every released checkpoint's URL starts with; `--mirror` replaces exactly this.
    public static let publishedPrefix = "http://www.robots.ox.ac.uk/~vgg/research/DVE/data/models/"

    public var items: [CheckpointFetchItem]
    /// Selected rows the paper publishes no checkpoint for.
    public var rowsWithoutCheckpoint: [String]

    public init(rows: [LoadedManifest], mirror: String? = nil) throws(FetchError) {
        var items: [CheckpointFetchItem] = []
        var index: [String: Int] = [:]
        var without: [String] = []
        for row in rows.sorted(by: { $0.manifest.id < $1.manifest.id }) {
            guard let checkpoint = row.manifest.model.checkpoint else { without.append(row.manifest.id); continue }
            let url = try Self.locate(checkpoint.url, mirror: mirror)
            if let i = index[checkpoint.file] {
                guard items[i].url == url else { throw .conflictingURLs(file: checkpoint.file, first: items[i].url, second: url) }
                items[i].rows.append(row.manifest.id)
            } else {
                index[checkpoint.file] = items.count
                items.append(CheckpointFetchItem(file: checkpoint.file, url: url, rows: [row.manifest.id]))
            }
        }
        self.items = items.sorted { $0.file < $1.file }
        rowsWithoutCheckpoint = without
    }

    /// `url` with the published prefix replaced by `mirror` (which gets a trailing `/` if it lacks one).
    static func locate(_ url: String, mirror: String?) throws(FetchError) -> String {
        guard let mirror else { return url }
        guard let parsed = URL(string: mirror), let scheme = parsed.scheme?.lowercased(), ["http", "https"].contains(scheme),
              parsed.host != nil else {
            throw .mirror(url: mirror, reason: "not an http:// or https:// URL")
        }
        guard url.hasPrefix(publishedPrefix) else {
            throw .mirror(url: mirror, reason: "\(url) does not start with the published prefix \(publishedPrefix)")
        }
        return (mirror.hasSuffix("/") ? mirror : mirror + "/") + url.dropFirst(publishedPrefix.count)
    }
}
