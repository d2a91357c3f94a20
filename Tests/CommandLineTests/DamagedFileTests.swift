import Foundation
import Testing
import TestSupport

/// The command line against results files that once crashed it (Tests/Fixtures/repro): libhdf5
/// segfaulted inside `H5O_attr_iterate` on one, and another lost a row and passed the gate.
struct DamagedFileTests {
    /// The `dvebench` built next to this test bundle.
    static var dvebench: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("dvebench")
    }

    /// The repository this test suite belongs to.
    static var repository: URL { Fixtures.root.deletingLastPathComponent().deletingLastPathComponent() }

    /// Runs `executable` (dvebench by default) in `directory` (default: the repository root), with
    /// `environment` added to this process's; output and error together.
    static func run(_ arguments: [String], executable: URL = dvebench, in directory: URL = repository,
                    environment: [String: String?] = [:]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var merged = ProcessInfo.processInfo.environment
        for (name, value) in environment { merged[name] = value }
        process.environment = merged
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit, "dvebench \(arguments.joined(separator: " ")) died of a signal")
        return (process.terminationStatus, output)
    }

    @Test(arguments: ["diff", "report"])
    func aFileThatCrashesLibHDF5IsRefusedByName(command: String) throws {
        let file = Fixtures.repro.appendingPathComponent("results-corrupt-segfault.h5").path
        let work = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let (status, output) = try Self.run([command, file] + (command == "report" ? ["--out", work.path] : []))
        #expect(status == 1)
        #expect(output.contains("\(file) is damaged: the HDF5 library crashed reading it (signal 11)"), "\(output)")
    }

    /// libhdf5 walked this 21 KB file's local heap allocating without end (12 GB in 30 s, and the
    /// parent's timeout is 120 s); the probe's memory is capped, so the file is refused in seconds.
    @Test func aFileThatMakesLibHDF5AllocateWithoutEndIsRefusedQuickly() throws {
        let file = Fixtures.fuzz.appendingPathComponent("trajectories-runaway-local-heap.h5").path
        let started = Date()
        let (status, output) = try Self.run(["trajectories", "check", "--expected", file])
        #expect(status == 1, "\(output)")
        #expect(output.contains("\(file) is damaged"), "\(output)")
        #expect(Date().timeIntervalSince(started) < 60)
    }

    @Test func aFileThatLostARowFailsInsteadOfPassing() throws {
        let file = Fixtures.repro.appendingPathComponent("results-corrupt-rows-dropped.h5").path
        let (status, output) = try Self.run(["diff", file])
        #expect(status == 1)
        #expect(output.contains("\(file) is damaged: row number 10 of 16 is missing"), "\(output)")
        let intact = try Self.run(["diff", Fixtures.repro.appendingPathComponent("results-intact.h5").path])
        #expect(intact.status == 0, "\(intact.output)")
    }
}

/// A save that runs into a file-size limit (the stand-in for a full disk) ends with an error that
/// says so, and the file it was replacing stays as it was.
struct FileSizeLimitTests {
    @Test func aSavePastTheFileSizeLimitFailsCleanlyAndLeavesThePreviousFile() throws {
        let work = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let shard = work.appendingPathComponent("shard.h5").path, out = work.appendingPathComponent("out.h5").path
        try FileManager.default.copyItem(atPath: Fixtures.repro.appendingPathComponent("results-intact.h5").path, toPath: shard)
        let first = try DamagedFileTests.run(["merge", out, shard])
        #expect(first.status == 0, "\(first.output)")
        let before = try Data(contentsOf: URL(fileURLWithPath: out))

        // 100 blocks of 1 KiB: far below the 1.3 MB the merge writes.
        let (status, output) = try DamagedFileTests.run(
            ["-c", "ulimit -f 100; exec \"$0\" merge \"$1\" \"$2\"", DamagedFileTests.dvebench.path, out, shard],
            executable: URL(fileURLWithPath: "/bin/bash"))
        #expect(status == 1, "\(output)")
        #expect(output.contains("File too large; \(out) was left as it was"), "\(output)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == before)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: work.path).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
    }
}
