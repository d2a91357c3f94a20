import Foundation

/// Left-aligned text columns for the terminal: each column as wide as its widest cell. Numbers are
/// formatted by the caller so that the table never decides precision.
struct TextTable {
    var header: [String]
    var rows: [[String]] = []

    init(_ header: [String]) { self.header = header }

    mutating func add(_ cells: [String]) { rows.append(cells) }

    var lines: [String] {
        let all = [header] + rows
        let columns = all.map(\.count).max() ?? 0
        let widths = (0..<columns).map { column in all.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return all.map { cells in
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
    }
}

/// Number formatting shared by the diff, bless and compare tables.
enum NumberText {
    /// `decimals` places when given, else up to 6 significant digits; "—" for no number.
    static func format(_ value: Double?, decimals: Int? = nil) -> String {
        guard let value else { return "—" }
        guard value.isFinite else { return "\(value)" }
        if let decimals { return String(format: "%.\(max(0, decimals))f", value) }
        return String(format: "%.6g", value)
    }

    /// `value ± std` when a standard deviation is known.
    static func format(_ value: Double?, std: Double?, decimals: Int? = nil) -> String {
        guard let std else { return format(value, decimals: decimals) }
        return "\(format(value, decimals: decimals)) ± \(format(std, decimals: decimals))"
    }

    /// A signed difference with 4 significant digits.
    static func signed(_ value: Double?) -> String {
        guard let value else { return "—" }
        guard value.isFinite else { return "\(value)" }
        return String(format: "%+.4g", value)
    }
}
