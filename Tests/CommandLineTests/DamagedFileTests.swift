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

    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = dvebench
        process.arguments = arguments
        process.currentDirectoryURL = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
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

    @Test func aFileThatLostARowFailsInsteadOfPassing() throws {
        let file = Fixtures.repro.appendingPathComponent("results-corrupt-rows-dropped.h5").path
        let (status, output) = try Self.run(["diff", file])
        #expect(status == 1)
        #expect(output.contains("\(file) is damaged: row number 10 of 16 is missing"), "\(output)")
        let intact = try Self.run(["diff", Fixtures.repro.appendingPathComponent("results-intact.h5").path])
        #expect(intact.status == 0, "\(intact.output)")
    }
}
