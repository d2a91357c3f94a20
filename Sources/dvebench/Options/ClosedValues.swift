import ArgumentParser
import Harness

// Closed value sets as types: the parser refuses anything else with the list of values, `--help`
// shows them, and shell completion offers them.

extension RunMode: ExpressibleByArgument {}

extension SynthRun.Layout: ExpressibleByArgument {}

extension ResultsFormat: ExpressibleByArgument {}

/// `i/n` with 1 ≤ i ≤ n.
extension Shard: ExpressibleByArgument {
    public init?(argument: String) {
        guard let shard = try? Shard(parsing: argument) else { return nil }
        self = shard
    }
}

/// `--scale`: the named tiers of `RunScale`.
enum ScaleTier: String, CaseIterable, ExpressibleByArgument {
    case paper
    case standard = "default"
    case quick
    case converged

    var runScale: RunScale {
        switch self {
        case .paper: .paper
        case .standard: .standard
        case .quick: .quick
        case .converged: .converged
        }
    }
}
