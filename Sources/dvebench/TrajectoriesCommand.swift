import ArgumentParser
import Foundation
import Harness

struct Trajectories: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The fast layer of the CI gate: the first iterations of every training recipe, against blessed values.",
        discussion: """
        Each probe trains one recipe (SmallNet 16 and 16/64 with DVE, the Hourglass with DVE, the \
        keypoint regressor) for a few iterations from a fixed initialisation on fixed SynthFaces data, \
        and records every iteration's loss and how far each weight tensor moved. Those numbers barely \
        depend on the BLAS kernel or the CPU, because chaos needs many iterations to grow, while a \
        defect in a loss, a layer or the optimiser moves them at once. Thread counts give the same bits \
        (--threads defaults to 2).
        """,
        subcommands: [Check.self, Record.self, BlessTrajectories.self]
    )

    static let defaultThreads = 2
}

extension Trajectories {
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the probes and compare with expected/trajectories.h5; exit 0 within tolerance, 2 otherwise.")

        @Option(help: ArgumentHelp("The blessed trajectories (default: the repository's expected/trajectories.h5).", valueName: "file"))
        var expected: String?

        @Option(help: "Also write the recording here.")
        var out: String?

        @OptionGroup var threadsOption: ThreadsOption

        @OptionGroup var repository: RepositoryOptions

        func run() throws {
            let root = try repository.root(command: "trajectories check")
            let threads = threadsOption.count(default: Trajectories.defaultThreads)
            Runtime.configure(threads: threads)
            let code = try TrajectoryGate.run(expectedPath: root.path(expected, orDefault: "expected/trajectories.h5"),
                                              recordingPath: out, threads: threads)
            if code != 0 { throw ExitCode(code) }
        }
    }

    struct Record: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the probes and write what they recorded (for `trajectories bless`).")

        @Option(help: "Where to write the recording.")
        var out: String

        @OptionGroup var threadsOption: ThreadsOption

        func run() throws {
            let threads = threadsOption.count(default: Trajectories.defaultThreads)
            Runtime.configure(threads: threads)
            let recording = try TrajectoryFile.record(command: commandLine, threads: threads) { say("probe \($0)") }
            try recording.write(to: out)
            say("recorded \(recording.probes.count) probes with BLAS \(recording.attributes["blas_core"] ?? "?") → \(out)")
        }
    }

    struct BlessTrajectories: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bless",
            abstract: "Bless recordings made under different BLAS kernels into the expected file.",
            discussion: """
            The first recording gives the values; the others give the spread. Each tolerance is \
            max(floor, 4 × spread), relative (floors: 1e-5 for losses, 1e-4 for displacements). Record \
            under at least two kernels, e.g. OPENBLAS_CORETYPE=Haswell and Sandybridge.
            """)

        @Argument(help: "Recordings written by `dvebench trajectories record`.")
        var recordings: [String]

        @Option(help: ArgumentHelp("The expected file to write (default: the repository's expected/trajectories.h5).", valueName: "file"))
        var expected: String?

        @OptionGroup var repository: RepositoryOptions

        func run() throws {
            let expected = try repository.root(command: "trajectories bless").path(self.expected, orDefault: "expected/trajectories.h5")
            let files = try recordings.map { path throws(ResultsFileError) in try TrajectoryFile.load(path) }
            let kernels = files.map { $0.attributes["blas_core"] ?? "unknown" }
            let blessed = try TrajectoryTolerance.bless(files, kernels: kernels)
            try blessed.write(to: expected)
            for probe in blessed.probes {
                let loss = probe.lossSpread?.map { String(format: "%.1e", $0) }.joined(separator: " ") ?? ""
                let largest = zip(probe.displacementKeys, probe.displacementSpread ?? []).sorted { $0.1 > $1.1 }.prefix(3)
                    .map { "\($0.0) \(String(format: "%.1e", $0.1))" }.joined(separator: ", ")
                say("\(probe.name): loss spread per step \(loss); largest displacement spreads \(largest)")
            }
            say("blessed \(blessed.probes.count) probes from \(files.count) recordings (\(kernels.joined(separator: ", "))) into \(expected)")
        }
    }
}

/// Records the probes, compares with the expected file and prints the verdicts; shared by
/// `trajectories check` and `reproduce`.
enum TrajectoryGate {
    static func run(expectedPath: String, recordingPath: String?, threads: Int) throws -> Int32 {
        let expected: TrajectoryFile
        do { expected = try TrajectoryFile.load(expectedPath) } catch { throw fail("trajectories", error) }
        let start = Date()
        let recording = try TrajectoryFile.record(command: commandLine, threads: threads)
        if let recordingPath { try recording.write(to: recordingPath) }
        let report = TrajectoryTolerance.compare(recording, against: expected)
        for line in report.render() { say(line) }
        say(String(format: "trajectories: %.1f s", Date().timeIntervalSince(start)))
        return report.exitCode
    }
}
