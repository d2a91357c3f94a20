import Foundation

// TEMPORARY stand-ins until the results store lands (same names and shapes as agreed).
public struct ResultSet: Sendable {
    public var provenance: Provenance
    public var rows: [RowResult]
    public init(provenance: Provenance, rows: [RowResult] = []) { self.provenance = provenance; self.rows = rows }
    public mutating func upsert(_ row: RowResult) {
        if let i = rows.firstIndex(where: { $0.id == row.id }) { rows[i] = row } else { rows.append(row) }
    }
}

public enum ResultsFile {
    public static func load(_ path: String) throws -> ResultSet? { nil }
    public static func save(_ set: ResultSet, to path: String) throws {}
}

extension Provenance {
    public static func current(command: String, threads: Int) -> Provenance {
        Provenance(gitCommit: "unknown", gitDirty: false, swiftVersion: "6.3", libraries: [:], cpu: "", blasCore: Runtime.blasCore,
                   threads: threads, hostname: "", startedAt: "\(Date())", command: command)
    }
}
