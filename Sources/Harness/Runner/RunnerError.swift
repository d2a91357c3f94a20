/// Why the runner could not do what it was asked (as opposed to a row that could not run here, which
/// is a skipped row, not an error).
public enum RunnerError: Error, CustomStringConvertible, Sendable, Equatable {
    case unknownDataset(String)
    case unknownArchitecture(String)
    case unknownProtocol(manifest: String, kind: String)
    case invalidRecipe(manifest: String, reason: String)
    case invalidShard(String)
    case noRowsSelected(String)
    case resultsFile(path: String, reason: String)
    /// Rows whose estimated peak memory exceeds the budget (`MemoryEstimate.description` each).
    case memoryBudget(rows: [String], budget: Int, source: String)
    /// A dataset under the data root is there but would fail the run: problems by path (the first
    /// `shown` of `total`).
    case brokenData(problems: [String], total: Int)

    public var description: String {
        switch self {
        case .unknownDataset(let name):
            "unknown dataset '\(name)' (known: celeba, mafl, aflw-r, aflw-m, 300w)"
        case .unknownArchitecture(let name): "unknown architecture '\(name)' (known: smallnet, hourglass)"
        case .unknownProtocol(let manifest, let kind):
            "\(manifest): unknown protocol '\(kind)' (known: matching, regression, limited-annotations)"
        case .invalidRecipe(let manifest, let reason): "\(manifest): \(reason)"
        case .invalidShard(let text): "--shard \(text): expected i/n with 1 ≤ i ≤ n"
        case .noRowsSelected(let what): "no manifest rows selected by \(what)"
        case .resultsFile(let path, let reason): "\(path): \(reason)"
        case .memoryBudget(let rows, let budget, let source):
            "\(rows.count) row(s) would need more memory than \(source) allows (\(MemorySize.describe(budget))); nothing was run:\n"
                + rows.map { "  \($0)" }.joined(separator: "\n")
                + "\nRun them on a machine with more memory, pass a larger --max-memory, or lower --batch-pairs."
        case .brokenData(let problems, let total):
            "the data would fail this run, so no row was started (`dvebench data check` with the same arguments checks every image too):\n"
                + problems.map { "  \($0)\n" }.joined() + (total > problems.count ? "  … \(total - problems.count) more\n" : "")
                + "\(total) problem(s)"
        }
    }
}
