import ArgumentParser
import Harness

/// The child of `IsolatedRead`: reads one DVEBench HDF5 file with its typed reader and exits 0, or
/// prints the error and exits 1. If libhdf5 crashes on the file, only this process dies.
struct ProbeFile: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe-file",
        abstract: "Read one DVEBench HDF5 file in full (the isolated reader behind every other command).",
        shouldDisplay: false
    )

    @Option(help: "The file's kind (dvebench-results, dvebench-expected, dvebench-trajectories, dvebench-model, eval-warps, training-checkpoint, hdf5).")
    var kind: String

    @Argument(help: "The file.")
    var path: String

    func run() throws {
        do {
            try IsolatedRead.readWhole(path, kind: kind)
        } catch {
            print("\(error)")
            throw ExitCode(1)
        }
    }
}
