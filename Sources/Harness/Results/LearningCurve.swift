import Foundation
import HDF5

/// Matching metrics of an embedding evaluated at several points of its training: the evidence that a
/// model sits on its plateau (doubling the iterations moves no metric by more than 5 %), or that it
/// does not yet.
///
/// Stored under a row's group as `curve/iterations` int64 [n] and one float64 [n] dataset per metric
/// (`curve/same_identity`, `curve/different_identity`); the matching row and the regression rows that
/// share its embedding all carry it.
public struct LearningCurve: Sendable, Equatable, Codable {
    public var iterations: [Int]
    /// Metric names in order, each with one value per iteration.
    public var names: [String]
    public var values: [[Double]]

    public init(iterations: [Int] = [], names: [String] = [], values: [[Double]] = []) {
        self.iterations = iterations
        self.names = names
        self.values = values
    }

    public var isEmpty: Bool { iterations.isEmpty }

    public func series(_ name: String) -> [Double]? {
        names.firstIndex(of: name).map { values[$0] }
    }

    /// Appends one evaluation; the first fixes the metric names.
    public mutating func append(iteration: Int, metrics: [(name: String, value: Double)]) {
        if names.isEmpty {
            names = metrics.map(\.name)
            values = names.map { _ in [] }
        }
        iterations.append(iteration)
        for (index, name) in names.enumerated() {
            values[index].append(metrics.first { $0.name == name }?.value ?? .nan)
        }
    }

    /// The largest relative change of any metric between the last point and the one at half its
    /// iterations (nil when the curve has no such pair): the plateau test. A run's last iteration is
    /// its whole epochs' worth (4 002 for 4 000 asked), so "half" is the point within 5 % of it.
    public var changeOverLastDoubling: Double? {
        guard let last = iterations.last, iterations.count > 1 else { return nil }
        let target = Double(last) / 2
        guard let half = iterations.indices.dropLast().min(by: { abs(Double(iterations[$0]) - target) < abs(Double(iterations[$1]) - target) }),
              abs(Double(iterations[half]) - target) <= 0.05 * target else { return nil }
        let end = iterations.count - 1
        return values.map { abs($0[end] - $0[half]) / max(abs($0[half]), 1e-12) }.max()
    }

    func write(into group: HDF5Group) throws {
        // Datasets list by name; the attribute keeps the metrics in their protocol order.
        try group.setAttribute("metrics", .string(names.joined(separator: " ")))
        try group.write("iterations", int64: iterations.map(Int64.init), shape: [iterations.count])
        for (name, series) in zip(names, values) {
            try group.write(name, float64: series, shape: [series.count])
        }
    }

    init(group: HDF5Group) throws {
        let iterations = try group.dataset("iterations").readInt64().map(Int.init)
        var names: [String] = [], values: [[Double]] = []
        let stored = try group.datasetNames().filter { $0 != "iterations" }
        let listedText: String? = try? AttributeBag(group).optionalString("metrics")
        let listed = listedText?.split(separator: " ").map(String.init) ?? []
        let ordered = listed.filter(stored.contains) + stored.filter { !listed.contains($0) }.sorted()
        for name in ordered {
            let series = try group.dataset(name).readFloat64()
            guard series.count == iterations.count else {
                throw ResultsFileError.malformed(file: group.file.path, object: "\(group.path)/\(name)",
                                                 problem: "\(series.count) values for \(iterations.count) iterations")
            }
            names.append(name)
            values.append(series)
        }
        self.init(iterations: iterations, names: names, values: values)
    }
}
