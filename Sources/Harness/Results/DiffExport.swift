import Foundation

/// The formats `dvebench diff` prints and `dvebench report` writes.
public enum ResultsFormat: String, Sendable, CaseIterable {
    /// The terminal table (`DiffTable`).
    case text
    /// A GitHub-flavoured Markdown table of the same lines.
    case markdown
    /// One object per metric, with the run's provenance: docs/results.md, "Machine-readable diff".
    case json
    /// One line per metric, the JSON's metric fields as columns (RFC 4180 quoting).
    case csv

    /// The file name extension of a file in this format.
    public var fileExtension: String {
        switch self {
        case .text: "txt"
        case .markdown: "md"
        case .json: "json"
        case .csv: "csv"
        }
    }
}

/// A diff as downstream tools (notebooks, dashboards, other harnesses) read it, without HDF5.
///
/// Each line of the diff becomes one record: a metric of a finished row, or a whole skipped or
/// failed row (`metric` null). Numbers are the exact values of the files (shortest round-trip
/// decimal); a value that is not finite is the string `nan`, `inf` or `-inf` (JSON has no such
/// numbers). `provenanceDigest` identifies the run: equal digests, the same run.
public struct DiffExport: Sendable {
    public static let formatName = "dvebench-diff"
    /// Raised when a field changes meaning or disappears; new fields do not raise it.
    public static let formatVersion = 1
    /// The metric fields, in column order (CSV header, JSON keys).
    public static let columns = ["row_id", "table", "scale", "metric", "unit", "expected", "expected_std", "got", "got_std",
                                "delta", "tolerance", "tolerance_rule", "verdict", "note", "provenance_digest"]

    public let report: DiffReport
    public let provenance: Provenance
    public let shards: [ShardProvenance]
    public let manifests: [String: Manifest]
    /// The results file as the user named it.
    public let resultsPath: String

    public init(report: DiffReport, results: ResultSet, manifests: [String: Manifest], resultsPath: String) {
        self.report = report
        provenance = results.provenance
        shards = results.shards
        self.manifests = manifests
        self.resultsPath = resultsPath
    }

    /// SHA-256 of the run's provenance (and of each merged shard's, in order) as sorted
    /// `name=value` lines: the same run gives the same digest, any other run another one.
    public var provenanceDigest: String {
        var lines = provenance.stringAttributes(prefix: "").map { "\($0.key)=\($0.value)" }.sorted()
        for (index, shard) in shards.enumerated() {
            lines += shard.provenance.stringAttributes(prefix: "shard.\(index + 1).").map { "\($0.key)=\($0.value)" }.sorted()
            lines.append("shard.\(index + 1).file=\(shard.file)")
        }
        return SHA256.hexDigest(Array(lines.joined(separator: "\n").utf8))
    }

    public func render(_ format: ResultsFormat, includePassing: Bool = true) -> String {
        switch format {
        case .text:
            let table = DiffTable(report)
            return (table.lines(includePassing: includePassing) + [table.summary]).joined(separator: "\n") + "\n"
        case .markdown: return markdown(includePassing: includePassing)
        case .json: return json(includePassing: includePassing)
        case .csv: return csv(includePassing: includePassing)
        }
    }

    // MARK: - Records

    enum Field: Equatable {
        case text(String)
        case number(Double)
        case none
    }

    func records(includePassing: Bool) -> [[Field]] {
        let digest = provenanceDigest
        return report.comparisons.filter { includePassing || $0.verdict != .pass }.map { line in
            func text(_ value: String?) -> Field { value.map(Field.text) ?? .none }
            func number(_ value: Double?) -> Field { value.map(Field.number) ?? .none }
            return [
                .text(line.rowID), .text(table(of: line.rowID)), .text(line.scale), text(line.metric), text(line.unit),
                number(line.expected), number(line.expectedStd), number(line.got), number(line.gotStd), number(line.delta),
                number(line.allowed), text(line.tolerance.map(Self.rule)), .text(line.verdict.rawValue), text(line.note),
                .text(digest),
            ]
        }
    }

    /// The manifest's short table id; for a row without a manifest, the first part of its id.
    func table(of rowID: String) -> String {
        if let short = manifests[rowID]?.table.short, !short.isEmpty { return short }
        return rowID.split(separator: "/", maxSplits: 1).first.map(String.init) ?? rowID
    }

    static func rule(_ tolerance: ToleranceSpec) -> String {
        "±(\(decimal(tolerance.absolute)) + \(decimal(tolerance.relative))·|expected|)"
    }

    /// Shortest text that reads back to the same Double.
    static func decimal(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value > 0 ? "inf" : "-inf" }
        return "\(value)"
    }

    // MARK: - JSON

    private func json(includePassing: Bool) -> String {
        func value(_ field: Field) -> Any {
            switch field {
            case .text(let text): text
            case .number(let number): number.isFinite ? number : Self.decimal(number)
            case .none: NSNull()
            }
        }
        let metrics: [[String: Any]] = records(includePassing: includePassing).map { fields in
            Dictionary(uniqueKeysWithValues: zip(Self.columns, fields.map(value)))
        }
        let summary = report.summary
        var counts: [String: Int] = [:]
        for verdict in Verdict.allCases { counts[verdict.rawValue] = summary.count(verdict) }
        var provenanceAttributes = provenance.stringAttributes(prefix: "")
        for (index, shard) in shards.enumerated() {
            provenanceAttributes.merge(shard.provenance.stringAttributes(prefix: "shard.\(index + 1).")) { first, _ in first }
            provenanceAttributes["shard.\(index + 1).file"] = shard.file
        }
        let document: [String: Any] = [
            "format": Self.formatName, "format_version": Self.formatVersion, "results": resultsPath,
            "written_by": BuildInfo.description, "provenance_digest": provenanceDigest, "provenance": provenanceAttributes,
            "summary": ["rows": summary.rows, "exit_code": Int(summary.exitCode), "counts": counts] as [String: Any],
            "notes": report.notes, "metrics": metrics,
        ]
        // Sorted keys: the same diff gives the same bytes.
        guard let data = try? JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]) else {
            // Only strings, finite numbers, null, arrays and dictionaries are put in, which always serialise.
            preconditionFailure("DiffExport: the JSON document did not serialise")
        }
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    // MARK: - CSV and Markdown

    private func csv(includePassing: Bool) -> String {
        func cell(_ field: Field) -> String {
            switch field {
            case .none: return ""
            case .number(let number): return Self.decimal(number)
            case .text(let text):
                guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
                return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            }
        }
        let lines = [Self.columns.joined(separator: ",")] + records(includePassing: includePassing).map { $0.map(cell).joined(separator: ",") }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    private func markdown(includePassing: Bool) -> String {
        func escaped(_ text: String) -> String {
            text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
        }
        let text = DiffTable(report)
        var lines = report.notes.map { "> note: \(escaped($0))" }
        if !lines.isEmpty { lines.append("") }
        lines += ["| row | table | metric | expected | got | delta | tolerance | verdict | note |",
                  "| --- | --- | --- | ---: | ---: | ---: | ---: | --- | --- |"]
        for line in report.comparisons where includePassing || line.verdict != .pass {
            let unit = line.unit.map { " \($0)" } ?? ""
            let cells = [
                line.rowID + (line.scale == "paper" ? "" : " [\(line.scale)]"), table(of: line.rowID), line.metric ?? "—",
                NumberText.format(line.expected, std: line.expectedStd, decimals: line.expectedDecimals),
                NumberText.format(line.got, std: line.gotStd) + (line.got == nil ? "" : unit),
                NumberText.signed(line.delta), line.allowed.map { "±" + NumberText.format($0) } ?? "—",
                line.verdict.rawValue, line.note ?? "",
            ]
            lines.append("| " + cells.map(escaped).joined(separator: " | ") + " |")
        }
        lines += ["", text.summary]
        return lines.joined(separator: "\n") + "\n"
    }
}
