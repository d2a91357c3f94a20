import Foundation

/// Compares a results file with expected numbers.
public enum ResultDiff {
    /// One line per metric of each finished row (in its manifest's order, then metrics the manifest
    /// does not list), one line per skipped or failed row.
    ///
    /// Rules, per metric of a finished row:
    /// - The expected number is looked up under `ExpectedSet.key(rowID:scale:)`.
    /// - `pass` when `tolerance.accepts(got:expected:)`: the tolerance blessed with the expected number
    ///   if it has one (synthetic tiers), else the manifest's for the row's mode
    ///   (`MetricSpec.tolerance(forMode:)`);
    ///   otherwise `improvement` if `got` is better per `MetricSpec.better`, else `regression`.
    /// - `missing-expected` when the row or metric has no expected number, the published cell is a
    ///   TODO, the expected number is not finite, or the manifest does not list the metric.
    /// - `failed` when the manifest lists a metric the run did not produce.
    /// - Standard deviations of `mean-std` metrics are shown, never gated: over the 3 seeds the
    ///   paper averages, a sample standard deviation is itself uncertain by about ±50%, so any bound
    ///   loose enough not to flap would catch nothing the mean does not.
    ///
    /// Throws `missingManifest` for a finished row without a manifest and `unknownPolarity` for a
    /// metric whose `better` is neither `lower` nor `higher`; skipped and failed rows need none.
    public static func compare(results: ResultSet, expected: ExpectedSet, manifests: [String: Manifest],
                               notes: [String] = []) throws(DiffError) -> DiffReport {
        var lines: [MetricComparison] = []
        for row in results.rows {
            switch row.status {
            case .skipped(let reason):
                lines.append(MetricComparison(rowID: row.id, scale: row.scale, verdict: .skipped, note: reason))
            case .failed(let message):
                lines.append(MetricComparison(rowID: row.id, scale: row.scale, verdict: .failed, note: message))
            case .finished:
                guard let manifest = manifests[row.id] else { throw .missingManifest(row: row.id) }
                lines += try compare(row: row, manifest: manifest, expected: expected)
            }
        }
        let scale = results.rows.first?.scale ?? "?"
        for id in results.missingRows {
            lines.append(MetricComparison(rowID: id, scale: scale, verdict: .failed,
                                          note: "requested from the run but not in the results file (the run stopped before it, or the file lost it)"))
        }
        var notes = notes
        if let blessedCore = expected.attributes["provenance.blas_core"] {
            // A synthetic number blessed under one BLAS kernel is not the number under another unless
            // its training converged: say which kernels are being compared.
            let blessedCPU = expected.attributes["provenance.cpu"] ?? "an unrecorded CPU"
            notes.append("expected numbers blessed with BLAS \(blessedCore) on \(blessedCPU); this run: BLAS "
                         + "\(results.provenance.blasCore) on \(results.provenance.cpu)")
        }
        return DiffReport(comparisons: lines, notes: notes)
    }

    private static func compare(row: RowResult, manifest: Manifest,
                                expected: ExpectedSet) throws(DiffError) -> [MetricComparison] {
        let key = ExpectedSet.key(rowID: row.id, scale: row.scale)
        let expectedRow = expected.rows[key]
        var lines: [MetricComparison] = []
        for var spec in manifest.metrics {
            spec.tolerance = expectedRow?.metrics[spec.name]?.tolerance ?? spec.tolerance(forMode: row.mode)
            guard let polarity = Polarity(rawValue: spec.better) else {
                throw .unknownPolarity(row: row.id, metric: spec.name, value: spec.better)
            }
            let got = row.metrics.first { $0.name == spec.name }
            let want = expectedRow?.metrics[spec.name]
            var line = MetricComparison(
                rowID: row.id, scale: row.scale, metric: spec.name, unit: spec.unit, expected: want?.value,
                expectedDecimals: want?.decimals, expectedStd: want?.standardDeviation, got: got?.value,
                gotStd: got?.standardDeviation, tolerance: spec.tolerance, verdict: .missingExpected)
            if got == nil {
                line.verdict = .failed
                line.note = "the run did not produce this metric"
            } else if expectedRow == nil {
                line.note = "no expected row '\(key)'"
            } else if expectedRow?.todo == true {
                line.note = "the published cell is a TODO"
            } else if want == nil {
                line.note = "the expected row has no '\(spec.name)'"
            } else if let got = got?.value, let want = want?.value {
                if want.isFinite {
                    line.delta = got - want
                    line.allowed = spec.tolerance.allowance(for: want)
                    line.verdict = spec.tolerance.accepts(got: got, expected: want) ? .pass
                        : polarity.isBetter(got, than: want) ? .improvement : .regression
                } else {
                    line.note = "the expected number is \(want)"
                }
            }
            lines.append(line)
        }
        let listed = Set(manifest.metrics.map(\.name))
        for metric in row.metrics where !listed.contains(metric.name) {
            lines.append(MetricComparison(
                rowID: row.id, scale: row.scale, metric: metric.name, expected: expectedRow?.metrics[metric.name]?.value,
                got: metric.value, gotStd: metric.standardDeviation, verdict: .missingExpected,
                note: "not in the manifest, so not compared"))
        }
        return lines
    }

    /// Diffs the results file at `resultsPath`. With `expectedPath`, every row is compared with that
    /// file; without, with the files `ExpectedFiles.load(for:directory:)` picks from `directory`.
    public static func run(resultsPath: String, expectedPath: String?, expectedDirectory: String,
                           manifests: [String: Manifest]) throws(DiffError) -> DiffReport {
        try runKeepingResults(resultsPath: resultsPath, expectedPath: expectedPath, expectedDirectory: expectedDirectory,
                              manifests: manifests).report
    }

    /// `run`, also handing back the results it read (their provenance goes into `DiffExport`).
    public static func runKeepingResults(resultsPath: String, expectedPath: String?, expectedDirectory: String,
                                         manifests: [String: Manifest]) throws(DiffError) -> (results: ResultSet, report: DiffReport) {
        do {
            let results = try ResultSet.read(from: resultsPath)
            var expected: ExpectedSet
            var notes: [String] = []
            if let expectedPath {
                expected = try ExpectedSet.load(expectedPath)
            } else {
                (expected, notes) = try ExpectedFiles.load(for: results, directory: expectedDirectory)
            }
            return (results, try compare(results: results, expected: expected, manifests: manifests, notes: notes))
        } catch let error as DiffError {
            throw error
        } catch let error as ResultsFileError {
            throw .file(error)
        } catch {
            throw .file(.wrap(error, file: resultsPath))
        }
    }
}

/// The default expected files of a results file, under `expected/`.
public enum ExpectedFiles {
    public static let paper = "paper.h5"
    public static let synthetic = "synthetic.h5"

    /// `paper.h5` when any row ran at `paper` scale (it must exist: it is part of the repository),
    /// and `synthetic.h5` when any row ran at another scale (it may not exist yet, before the first
    /// `dvebench bless`; its rows are then `missing-expected` and a note says why). The two files
    /// never share a key (see `ExpectedSet.key`), so they are merged into one set.
    public static func load(for results: ResultSet, directory: String) throws(ResultsFileError) -> (ExpectedSet, [String]) {
        let scales = Set(results.rows.map(\.scale))
        var set = ExpectedSet()
        var notes: [String] = []
        let base = URL(fileURLWithPath: directory)
        if scales.contains("paper") {
            set = try ExpectedSet.load(base.appendingPathComponent(paper).path)
        }
        if scales.contains(where: { $0 != "paper" }) {
            let path = base.appendingPathComponent(synthetic).path
            if FileManager.default.fileExists(atPath: path) {
                do {
                    set = try set.merging(try ExpectedSet.load(path))
                } catch let error as ExpectedSetError {
                    throw .malformed(file: path, object: "/", problem: error.description)
                } catch let error as ResultsFileError {
                    throw error
                } catch {
                    throw .wrap(error, file: path)
                }
            } else {
                notes.append("\(path) does not exist yet: synthetic rows have no expected numbers (dvebench bless writes them)")
            }
        }
        return (set, notes)
    }
}
