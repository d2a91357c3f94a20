import Foundation
import HDF5

/// An expected file. Root attributes: `kind` = "dvebench-expected", `schema` = 1, free string
/// attributes. A group per row at its key (see `ExpectedSet`), recognised by its `row_key`
/// attribute, with attributes `row_key`, `source`, `table` (strings), `todo` (uint8 0/1). In it one
/// scalar float64 dataset per metric with attributes `decimals` (int64, −1 = not rounded),
/// `source` (string), `full_precision` (float64, NaN when none), and optionally `std` (float64)
/// with `std_decimals` (int64).
extension ExpectedSet {
    public static let kind = "dvebench-expected"
    public static let schema = 1

    /// Reads an expected file; errors name the file and, for layout problems, the object.
    public static func load(_ path: String) throws(ResultsFileError) -> ExpectedSet {
        try FileKind.read(path, kind: kind, schema: schema) { file, root in
            var rows: [String: ExpectedRow] = [:]
            try collectRows(in: file.root, into: &rows)
            return ExpectedSet(attributes: root.freeStrings, rows: rows)
        }
    }

    private static func collectRows(in group: HDF5Group, into rows: inout [String: ExpectedRow], depth: Int = 0) throws {
        try group.checkNesting(depth: depth)
        if group.path != "/" {
            let bag = try AttributeBag(group)
            if bag.has("row_key") {
                var metrics: [String: ExpectedMetric] = [:]
                for name in try group.datasetNames() {
                    let dataset = try group.dataset(name)
                    try dataset.requireShape([])
                    let metricBag = try AttributeBag(dataset)
                    let decimals = try metricBag.int("decimals")
                    let full = try metricBag.optionalDouble("full_precision")
                    let stdDecimals = try metricBag.optionalInt("std_decimals")
                    var tolerance: ToleranceSpec?
                    if let absolute = try metricBag.optionalDouble("tolerance_absolute"),
                       let relative = try metricBag.optionalDouble("tolerance_relative") {
                        tolerance = ToleranceSpec(absolute: absolute, relative: relative,
                                                  rule: metricBag.has("tolerance_rule") ? try metricBag.string("tolerance_rule") : nil)
                    }
                    metrics[name] = ExpectedMetric(
                        value: try dataset.readFloat64()[0], decimals: decimals < 0 ? nil : decimals,
                        source: try metricBag.string("source"),
                        fullPrecision: full.flatMap { $0.isNaN ? nil : $0 },
                        standardDeviation: try metricBag.optionalDouble("std"),
                        standardDeviationDecimals: stdDecimals.flatMap { $0 < 0 ? nil : $0 }, tolerance: tolerance)
                }
                rows[String(group.path.dropFirst())] = ExpectedRow(
                    rowKey: try bag.string("row_key"), source: try bag.string("source"),
                    table: try bag.string("table"), todo: try bag.bool("todo"), metrics: metrics)
            }
        }
        for name in try group.groupNames() {
            try collectRows(in: try group.group(name), into: &rows, depth: depth + 1)
        }
    }

    /// Writes the set to `path` atomically (temporary sibling, then rename).
    public func write(to path: String) throws(ResultsFileError) {
        for key in rows.keys {
            if let problem = RowPath.problem(with: key) { throw .unwritable(file: path, problem: problem) }
            for name in rows[key]?.metrics.keys.sorted() ?? [] {
                if let problem = RowPath.problem(withName: name, what: "metric of row '\(key)'") {
                    throw .unwritable(file: path, problem: problem)
                }
            }
        }
        try FileKind.write(path, kind: Self.kind, schema: Self.schema, attributes: attributes) { root in
            // Sorted for a reproducible file. A row nested below another (`a/b` under `a`) may
            // find its group already created, as a parent row or as an intermediate.
            for (key, row) in rows.sorted(by: { $0.key < $1.key }) {
                let group = root.contains(key) ? try root.group(key) : try root.createGroup(key)
                try group.setAttribute("row_key", .string(row.rowKey))
                try group.setAttribute("source", .string(row.source))
                try group.setAttribute("table", .string(row.table))
                try group.setAttribute("todo", .bool(row.todo))
                for (name, metric) in row.metrics.sorted(by: { $0.key < $1.key }) {
                    let dataset = try group.write(name, float64: [metric.value], shape: [])
                    try dataset.setAttribute("decimals", .int64(Int64(metric.decimals ?? -1)))
                    try dataset.setAttribute("source", .string(metric.source))
                    try dataset.setAttribute("full_precision", .float64(metric.fullPrecision ?? .nan))
                    if let tolerance = metric.tolerance {
                        try dataset.setAttribute("tolerance_absolute", .float64(tolerance.absolute))
                        try dataset.setAttribute("tolerance_relative", .float64(tolerance.relative))
                        if let rule = tolerance.rule { try dataset.setAttribute("tolerance_rule", .string(rule)) }
                    }
                    if let std = metric.standardDeviation {
                        try dataset.setAttribute("std", .float64(std))
                        try dataset.setAttribute("std_decimals", .int64(Int64(metric.standardDeviationDecimals ?? -1)))
                    }
                }
            }
        }
    }
}
