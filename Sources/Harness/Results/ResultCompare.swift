import Foundation

/// `dvebench compare`: two sets of rows side by side, per metric A, B and B − A.
///
/// Pairing rule: the rows of A matching `rows` and the rows of B matching `against` (default: the
/// same pattern) pair when their patterns' wildcards matched the same text (`RowGlob`). With the
/// default `*` that is "same row id", i.e. two runs of the same rows; with two patterns that
/// differ in one part, e.g. `T01/celeba-smallnet-*/matching` against
/// `T01/celeba-hourglass-*/matching`, it pairs rows of the same table and evaluation whose id
/// differs only there (the model). Within a pair, metrics pair by name.
public enum ResultCompare {
    public static func compare(_ a: ResultSet, _ b: ResultSet, rows: RowGlob = RowGlob("*"),
                               against: RowGlob? = nil) throws(CompareError) -> ResultComparison {
        let against = against ?? rows
        guard rows.wildcardCount == against.wildcardCount else {
            throw .wildcardMismatch(rows: rows.pattern, against: against.pattern)
        }
        let left = a.rows.compactMap { row in rows.captures(row.id).map { (key: $0, row: row) } }
        let right = b.rows.compactMap { row in against.captures(row.id).map { (key: $0, row: row) } }
        guard !left.isEmpty else { throw .noRows(pattern: rows.pattern, side: "A") }
        guard !right.isEmpty else { throw .noRows(pattern: against.pattern, side: "B") }
        let rightByKey = Dictionary(uniqueKeysWithValues: right.map { ($0.key, $0.row) })
        var lines: [ComparisonLine] = []
        var paired = Set<[String]>()
        for (key, row) in left {
            guard let partner = rightByKey[key] else {
                lines.append(ComparisonLine(rowA: row.id, note: "no row in B matches"))
                continue
            }
            paired.insert(key)
            lines += pair(row, partner)
        }
        for (key, row) in right where !paired.contains(key) {
            lines.append(ComparisonLine(rowB: row.id, note: "no row in A matches"))
        }
        return ResultComparison(lines: lines)
    }

    private static func pair(_ a: RowResult, _ b: RowResult) -> [ComparisonLine] {
        var notes: [String] = []
        if a.status != .finished { notes.append("A \(describe(a.status))") }
        if b.status != .finished { notes.append("B \(describe(b.status))") }
        if a.scale != b.scale { notes.append("scales differ: A \(a.scale), B \(b.scale)") }
        let names = a.metrics.map(\.name) + b.metrics.map(\.name).filter { name in !a.metrics.contains { $0.name == name } }
        guard !names.isEmpty else {
            return [ComparisonLine(rowA: a.id, rowB: b.id, note: notes.joined(separator: "; "))]
        }
        let metricLines = names.map { name in
            let x = a.metrics.first { $0.name == name }, y = b.metrics.first { $0.name == name }
            let difference = x.flatMap { x in y.map { $0.value - x.value } }
            return ComparisonLine(rowA: a.id, rowB: b.id, metric: name, a: x, b: y, difference: difference,
                                  note: notes.isEmpty ? nil : notes.joined(separator: "; "))
        }
        return metricLines + speedLines(a, b)
    }

    /// The throughputs a row records (`RowResult.details`), shown as "speed: …" lines with the ratio
    /// B / A, so two builds, machines or BLAS kernels can be compared on speed as well as numbers.
    static let speedDetails: [(detail: String, label: String)] = [
        ("training.images_per_second", "speed: training images/s"),
        ("pairs_per_second", "speed: matching pairs/s"),
        ("extraction.images_per_second", "speed: extraction images/s"),
    ]

    private static func speedLines(_ a: RowResult, _ b: RowResult) -> [ComparisonLine] {
        speedDetails.compactMap { detail, label in
            let x = a.details[detail].flatMap(Double.init), y = b.details[detail].flatMap(Double.init)
            guard x != nil || y != nil else { return nil }
            let ratio = x.flatMap { x in y.map { x > 0 ? String(format: "B/A = %.2f", $0 / x) : "" } }
            return ComparisonLine(rowA: a.id, rowB: b.id, metric: label, a: x.map { MetricValue(name: label, value: $0) },
                                  b: y.map { MetricValue(name: label, value: $0) }, difference: x.flatMap { x in y.map { $0 - x } },
                                  note: ratio)
        }
    }

    private static func describe(_ status: RowResult.Status) -> String {
        switch status {
        case .finished: "finished"
        case .skipped(let reason): "skipped (\(reason))"
        case .failed(let message): "failed (\(message))"
        }
    }

    /// Reads both files (or one, twice) and compares them.
    public static func run(pathA: String, pathB: String?, rows: String?, against: String?) throws(CompareError) -> ResultComparison {
        do {
            let a = try ResultSet.read(from: pathA)
            let b = try pathB.map { path throws(ResultsFileError) in try ResultSet.read(from: path) } ?? a
            return try compare(a, b, rows: RowGlob(rows ?? "*"), against: against.map(RowGlob.init))
        } catch let error as CompareError {
            throw error
        } catch let error as ResultsFileError {
            throw .file(error)
        } catch {
            throw .file(.wrap(error, file: pathA))
        }
    }
}

/// One line of a comparison: a metric of a pair of rows, or a row without a partner.
public struct ComparisonLine: Sendable, Equatable {
    public var rowA: String?
    public var rowB: String?
    public var metric: String?
    public var a: MetricValue?
    public var b: MetricValue?
    /// `b − a` for the values (means of `mean-std` metrics).
    public var difference: Double?
    /// A row's status when not finished, a missing partner, differing scales.
    public var note: String?

    public init(rowA: String? = nil, rowB: String? = nil, metric: String? = nil, a: MetricValue? = nil,
                b: MetricValue? = nil, difference: Double? = nil, note: String? = nil) {
        self.rowA = rowA
        self.rowB = rowB
        self.metric = metric
        self.a = a
        self.b = b
        self.difference = difference
        self.note = note
    }
}

public struct ResultComparison: Sendable, Equatable {
    public var lines: [ComparisonLine]

    /// The lines that compare a metric (speed lines aside, which are timings).
    public var metricLines: [ComparisonLine] { lines.filter { !($0.metric?.hasPrefix("speed:") ?? false) } }

    /// The metric lines whose values are not the same bits on both sides, including every row
    /// without a partner or without metrics: empty when B reproduces A exactly.
    public var inexactLines: [ComparisonLine] {
        metricLines.filter { line in
            guard let a = line.a, let b = line.b else { return true }
            return a.value.bitPattern != b.value.bitPattern
                || a.standardDeviation?.bitPattern != b.standardDeviation?.bitPattern
        }
    }

    /// Columns row A, row B, metric, A, B, B − A, note; a single `row` column when every pair has
    /// the same id on both sides (comparing two runs rather than two row groups).
    public var tableLines: [String] {
        let sameIDs = lines.allSatisfy { $0.rowA == nil || $0.rowB == nil || $0.rowA == $0.rowB }
        var table = TextTable(sameIDs ? ["row", "metric", "A", "B", "B − A", "note"]
                                      : ["row A", "row B", "metric", "A", "B", "B − A", "note"])
        for line in lines {
            let rows = sameIDs ? [line.rowA ?? line.rowB ?? "—"] : [line.rowA ?? "—", line.rowB ?? "—"]
            table.add(rows + [
                line.metric ?? "—",
                NumberText.format(line.a?.value, std: line.a?.standardDeviation),
                NumberText.format(line.b?.value, std: line.b?.standardDeviation),
                NumberText.signed(line.difference), line.note ?? "",
            ])
        }
        return table.lines
    }
}

public enum CompareError: Error, CustomStringConvertible, Sendable {
    case wildcardMismatch(rows: String, against: String)
    case noRows(pattern: String, side: String)
    case file(ResultsFileError)

    public var description: String {
        switch self {
        case .wildcardMismatch(let rows, let against):
            "--rows '\(rows)' and --against '\(against)' must have the same number of wildcards (* and ?): rows pair by what they match"
        case .noRows(let pattern, let side):
            "no row of \(side) matches '\(pattern)'"
        case .file(let error): error.description
        }
    }
}
