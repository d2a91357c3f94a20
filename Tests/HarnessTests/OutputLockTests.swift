import Foundation
import Testing
@testable import Harness
import TestSupport

/// One writer per output folder: a second writer fails at once naming the first, and the lock dies
/// with its process, so nothing is ever left to clean up by hand.
@Suite(.serialized) struct OutputLockTests {
    /// Holds `directory`'s lock in another process (util-linux `flock`) until killed.
    static func holdInAnotherProcess(_ directory: URL) throws -> Process {
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        // --no-fork: the lock belongs to the sleep itself, so killing it releases the lock.
        holder.arguments = ["--no-fork", directory.appendingPathComponent(OutputLock.fileName).path, "sleep", "120"]
        try holder.run()
        // Wait until it has the lock.
        for _ in 0..<200 {
            do { _ = try OutputLock(directory: directory.path, command: "probe") } catch { return holder }
            usleep(20_000)
        }
        kill(holder.processIdentifier, SIGKILL)
        throw CocoaError(.fileLocking)
    }

    @Test func aSecondWriterFailsAtOnceAndTheLockDiesWithItsProcess() throws {
        let work = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let holder = try Self.holdInAnotherProcess(work)
        var options = ClusterTests.options(work)
        options.command = "dvebench run (test)"
        let started = Date()
        #expect {
            try Runner(options: options).run([try RunnerManifests.row(ClusterTests.row)])
        } throws: { error in
            guard let lock = error as? OutputLockError, case .inUse(let directory, _) = lock else { return false }
            return directory == work.path && "\(lock)".contains("is in use by another dvebench")
        }
        #expect(Date().timeIntervalSince(started) < 5, "fails at once, before any work")
        #expect(try ResultsFile.load(options.resultsPath) == nil)

        kill(holder.processIdentifier, SIGKILL)
        holder.waitUntilExit()
        _ = try OutputLock(directory: work.path, command: "after")  // the kill released it
    }

    /// Whether another process finds `directory`'s lock taken.
    static func heldForOtherProcesses(_ directory: URL) throws -> Bool {
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        probe.arguments = ["--nonblock", directory.appendingPathComponent(OutputLock.fileName).path, "true"]
        try probe.run()
        probe.waitUntilExit()
        return probe.terminationStatus != 0
    }

    @Test func theLockNamesItsHolderAndIsSharedWithinAProcess() throws {
        let work = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        var first: OutputLock? = try OutputLock(directory: work.path, command: "dvebench reproduce --quick")
        var second: OutputLock? = try OutputLock(directory: work.path, command: "its runner")
        #expect(try Self.heldForOtherProcesses(work))
        let holder = try String(contentsOf: work.appendingPathComponent(OutputLock.fileName), encoding: .utf8)
        #expect(holder.contains("pid \(ProcessInfo.processInfo.processIdentifier)"))
        #expect(holder.contains("dvebench reproduce --quick"))
        first = nil
        #expect(try Self.heldForOtherProcesses(work), "still held by the second holder")
        second = nil
        #expect(try !Self.heldForOtherProcesses(work), "released with its last holder")
        _ = (first, second)
    }
}
