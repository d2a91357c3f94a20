import ArgumentParser
import Foundation

/// `--force` of the commands that run rows into an output folder (`run`, `reproduce`).
struct ForceRerunFlag: ParsableArguments {
    @Flag(name: .customLong("force"), help: "Rerun rows that already finished, from scratch: training checkpoints and cached descriptors in the output folder are discarded, so a code change cannot hand back an earlier build's model.")
    var isSet = false
}

/// `--threads N` of every command that computes. The default differs by command (all cores for
/// `run`, the count the blessed numbers were made with for `reproduce` and `trajectories`), so it
/// is resolved by the command and named in its help's discussion.
struct ThreadsOption: ParsableArguments {
    @Option(name: .customLong("threads"), help: ArgumentHelp("Worker threads; the numbers are bit-identical for any count (default: see above).", valueName: "n"))
    var given: Int?

    func count(default fallback: Int) -> Int { given ?? fallback }

    func validate() throws {
        if let given, given < 1 { throw ValidationError("--threads must be at least 1 (got \(given))") }
    }

    static var allCores: Int { ProcessInfo.processInfo.activeProcessorCount }
}
