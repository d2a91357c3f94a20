import ArgumentParser
import Foundation
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
        capMemory()
        do {
            try IsolatedRead.readWhole(path, kind: kind)
        } catch {
            print("\(error)")
            throw ExitCode(1)
        }
    }

    /// libhdf5 allocates whatever a damaged file leads it to: walking one 21 KB file's local heap
    /// (Tests/Fixtures/fuzz/trajectories-runaway-local-heap.h5) it took 12 GB in 30 s and kept
    /// going, which the parent's timeout would have stopped only after the machine ran out of
    /// memory. The probe's data segment is capped at what reading the whole file can need (the
    /// typed readers return no more than a file stores), so such a file ends in a failed
    /// allocation within a second: libhdf5 reports it, or the Swift runtime stops the probe, and
    /// either way the parent reports the file as damaged.
    private func capMemory() {
        let fileBytes = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? UInt64) ?? 0
        let cap = Self.memoryHeadroom + 2 * fileBytes
        var limit = rlimit(rlim_cur: rlim_t(cap), rlim_max: rlim_t(cap))
        _ = setrlimit(__rlimit_resource_t(RLIMIT_DATA.rawValue), &limit)
    }

    /// Beyond twice the file: the Swift runtime, libhdf5's caches and the readers' own structures.
    static let memoryHeadroom: UInt64 = 1 << 30
}
