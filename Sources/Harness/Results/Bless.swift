import Foundation

/// `dvebench bless`: records a run's numbers as the expected numbers of its synthetic rows.
///
/// Like a snapshot test that fails when it records, blessing never silently moves a number: if
/// any number already in the file would change beyond its tolerance (or vanish), `commit` refuses
/// unless forced. What is blessed, and what is not:
/// - finished rows at a synthetic scale (not `paper`) are written under `<scale>/<row id>`, each
///   metric with `decimals` −1, `source` `blessed:<results file name>@<commit>` (`+dirty` when
///   the run's checkout was dirty), the run's standard deviation when it has one;
/// - skipped and failed rows cannot be blessed: their previous expected numbers (if any) stay;
/// - `paper`-scale rows are not blessed: they compare against the published numbers;
/// - the file's root gets the run's provenance as `provenance.<field>` string attributes.
/// Published numbers are never blessed over: a target named `paper.h5`, or one holding any
/// number whose source is not `blessed:`, is refused.
public struct BlessPlan: Sendable {
    public let resultsPath: String
    public let expectedPath: String
    /// The results compared with the expected file as it is now.
    public let diff: DiffReport
    /// Comparisons of rows to be blessed whose number moved beyond tolerance or vanished.
    public let moved: [MetricComparison]
    /// Keys written (`<scale>/<row id>`).
    public let blessed: [String]
    /// Rows left out, with the reason.
    public let notBlessed: [(row: String, reason: String)]
    /// The expected set `commit` writes.
    public let updated: ExpectedSet

    /// Loads both files and plans the bless. The expected file may not exist yet (first bless).
    /// - Parameter spreadPaths: results of the same rows run otherwise (another thread count, so
    ///   another summation order): each blessed number's tolerance widens to cover twice the largest
    ///   distance to these runs, so the gate allows the spread that was measured.
    public static func prepare(resultsPath: String, expectedPath: String, manifests: [String: Manifest],
                               spreadPaths: [String] = []) throws(BlessError) -> BlessPlan {
        if URL(fileURLWithPath: expectedPath).lastPathComponent == ExpectedFiles.paper {
            throw .publishedNumbers(file: expectedPath, detail: "it is the file of published numbers")
        }
        do {
            let results = try ResultSet.read(from: resultsPath)
            let existing = FileManager.default.fileExists(atPath: expectedPath) ? try ExpectedSet.load(expectedPath) : ExpectedSet()
            var spread: [ResultSet] = []
            for path in spreadPaths { spread.append(try ResultSet.read(from: path)) }
            return try plan(results: results, resultsPath: resultsPath, existing: existing, spread: spread,
                            expectedPath: expectedPath, manifests: manifests)
        } catch let error as BlessError {
            throw error
        } catch let error as ResultsFileError {
            throw .file(error)
        } catch let error as DiffError {
            throw .diff(error)
        } catch {
            throw .file(.wrap(error, file: resultsPath))
        }
    }

    /// The bless of `results` into `existing`, without touching any file.
    public static func plan(results: ResultSet, resultsPath: String, existing: ExpectedSet, spread: [ResultSet] = [],
                            expectedPath: String, manifests: [String: Manifest]) throws(BlessError) -> BlessPlan {
        if let published = existing.rows.sorted(by: { $0.key < $1.key }).first(where: { _, row in
            row.metrics.values.contains { !$0.source.hasPrefix("blessed:") }
        }) {
            throw .publishedNumbers(file: expectedPath, detail: "row '\(published.key)' holds a number that was not blessed")
        }
        let diff: DiffReport
        do { diff = try ResultDiff.compare(results: results, expected: existing, manifests: manifests) } catch { throw .diff(error) }
        let commit = results.provenance.gitCommit + (results.provenance.gitDirty ? "+dirty" : "")
        let source = "blessed:\(URL(fileURLWithPath: resultsPath).lastPathComponent)@\(commit)"
        var updated = existing
        for (name, value) in results.provenance.stringAttributes(prefix: "provenance.") { updated.attributes[name] = value }
        // The runs the spread was measured against, so the file says which kernels its tolerances cover.
        for name in updated.attributes.keys where name.hasPrefix("spread.") { updated.attributes[name] = nil }
        for (index, other) in spread.enumerated() {
            updated.attributes["spread.\(index).blas_core"] = other.provenance.blasCore
            updated.attributes["spread.\(index).cpu"] = other.provenance.cpu
            updated.attributes["spread.\(index).threads"] = String(other.provenance.threads)
            updated.attributes["spread.\(index).command"] = other.provenance.command
            let seeds = Set(other.rows.compactMap { $0.details[RunScale.seedOverrideDetail] })
            updated.attributes["spread.\(index).training_seed"] = seeds.isEmpty ? "recipe" : seeds.sorted().joined(separator: ",")
        }
        var blessed: [String] = [], notBlessed: [(row: String, reason: String)] = []
        for row in results.rows {
            switch row.status {
            case .skipped(let reason): notBlessed.append((row.id, "skipped: \(reason)")); continue
            case .failed(let message): notBlessed.append((row.id, "failed: \(message)")); continue
            case .finished: break
            }
            guard row.scale != "paper" else {
                notBlessed.append((row.id, "paper scale: compared with the published numbers"))
                continue
            }
            // compare() has checked that every finished row has a manifest.
            guard let manifest = manifests[row.id] else { throw .diff(.missingManifest(row: row.id)) }
            let key = ExpectedSet.key(rowID: row.id, scale: row.scale)
            var metrics: [String: ExpectedMetric] = [:]
            for metric in row.metrics {
                metrics[metric.name] = ExpectedMetric(value: metric.value, decimals: nil, source: source,
                                                      standardDeviation: metric.standardDeviation,
                                                      standardDeviationDecimals: nil,
                                                      tolerance: Self.tolerance(for: metric, of: row, spread: spread))
            }
            updated.rows[key] = ExpectedRow(rowKey: manifest.expected.rowKey, source: source, table: manifest.table.id,
                                            todo: false, metrics: metrics)
            blessed.append(key)
        }
        let blessedIDs = Set(blessed)
        let moved = diff.comparisons.filter { line in
            guard blessedIDs.contains(ExpectedSet.key(rowID: line.rowID, scale: line.scale)) else { return false }
            switch line.verdict {
            case .regression, .improvement: return true
            // A metric the manifest lists but the run did not produce would vanish from the file.
            case .failed: return line.expected != nil
            default: return false
            }
        }
        return BlessPlan(resultsPath: resultsPath, expectedPath: expectedPath, diff: diff, moved: moved,
                         blessed: blessed, notBlessed: notBlessed, updated: updated)
    }

    /// Writes `updated` to the expected file atomically. Refuses with `moved` when numbers moved
    /// and `force` is false, and with `nothingToBless` when no row can be blessed.
    /// The tier's tolerance (`RunScale.tolerance`), its absolute term raised to twice the largest
    /// distance between `metric` and the same metric of the same row in the `spread` runs.
    static func tolerance(for metric: MetricValue, of row: RowResult, spread: [ResultSet]) -> ToleranceSpec? {
        guard var tolerance = RunScale.named(row.scale)?.tolerance else { return nil }
        let others = spread.compactMap { set in
            set.row(row.id).flatMap { $0.scale == row.scale ? $0.metrics.first { $0.name == metric.name }?.value : nil }
        }
        guard let widest = others.map({ abs($0 - metric.value) }).max(), widest.isFinite else { return tolerance }
        if 2 * widest > tolerance.absolute {
            tolerance.absolute = 2 * widest
            tolerance.rule = (tolerance.rule ?? "") + String(format: "; absolute term raised to twice the %.4f measured across %d other run(s)",
                                                              widest, others.count)
        }
        return tolerance
    }

    public func commit(force: Bool) throws(BlessError) {
        guard !blessed.isEmpty else { throw .nothingToBless(results: resultsPath) }
        guard force || moved.isEmpty else { throw .moved(file: expectedPath, comparisons: moved) }
        do { try updated.write(to: expectedPath) } catch { throw .file(error) }
    }
}

public enum BlessError: Error, CustomStringConvertible, Sendable {
    /// The target holds published numbers; they are never overwritten by a run.
    case publishedNumbers(file: String, detail: String)
    /// Numbers already blessed would move beyond tolerance; `--force` accepts them.
    case moved(file: String, comparisons: [MetricComparison])
    /// Every row is skipped, failed or at paper scale.
    case nothingToBless(results: String)
    case diff(DiffError)
    case file(ResultsFileError)

    public var description: String {
        switch self {
        case .publishedNumbers(let file, let detail):
            "refusing to bless into \(file): \(detail). Published numbers are not blessed; bless into expected/synthetic.h5"
        case .moved(let file, let comparisons):
            "refusing to bless into \(file): \(comparisons.count) blessed number(s) moved beyond tolerance or vanished ("
                + comparisons.map { "\($0.rowID) [\($0.scale)] \($0.metric ?? "—")" }.joined(separator: ", ")
                + "). Check them, then bless again with --force"
        case .nothingToBless(let results):
            "nothing to bless in \(results): every row is skipped, failed or at paper scale"
        case .diff(let error): error.description
        case .file(let error): error.description
        }
    }

    /// 2 for refusing to move numbers (as the diff's regressions), 1 for everything else.
    public var exitCode: Int32 {
        if case .moved = self { return 2 }
        return 1
    }
}
