import CFuzzerDriver
import Foundation
import Glibc
import HDF5
import Harness

extension FuzzTarget {
    /// DVEBench's HDF5 files → DVEBench's types: results, expected, trajectories and eval-warps files,
    /// each through the typed reader `dvebench probe-file` runs (`IsolatedRead.readWhole`).
    ///
    /// libhdf5 itself crashes on some malformed files (Tests/Fixtures/repro), which is why the command
    /// line reads every such file in a child process first. This target checks that design, not
    /// libhdf5: each input is read in a forked child, and
    /// - a child that exits normally (read, or a typed error) is the expected outcome;
    /// - a child that dies inside libhdf5 (a signal, or an AddressSanitizer or leak report whose
    ///   first frame outside the sanitizer runtime is in libhdf5) is what `IsolatedRead` turns into
    ///   "the HDF5 library crashed reading it": counted, not a finding;
    /// - anything else (a Swift trap, an AddressSanitizer or leak report in DVEBench's own code, a
    ///   child that hangs) aborts the fuzzer with the child's report, and libFuzzer saves the input.
    /// The input's first byte picks the file kind; the rest is the file.
    static let hdf5 = FuzzTarget(
        name: "hdf5",
        prepare: { HDF5Probe.prepare() },
        run: { input in
            guard let selector = input.first else { return 0 }
            HDF5Probe.read(UnsafeBufferPointer(rebasing: input.dropFirst()), kind: HDF5Probe.kinds[Int(selector) % HDF5Probe.kinds.count])
            return 0
        },
        seeds: { try HDF5Probe.seeds() })
}

enum HDF5Probe {
    static let kinds = [ResultSet.kind, ExpectedSet.kind, TrajectoryFile.kind, IsolatedRead.evalWarpsKind]

    /// Per-process scratch files in /dev/shm (tmpfs): the input as a file, and the child's stderr.
    nonisolated(unsafe) static var inputPath = ""
    nonisolated(unsafe) static var reportPath = ""
    nonisolated(unsafe) static var libraryCrashes = 0
    nonisolated(unsafe) static var executions = 0

    /// Every how many executions the child runs LeakSanitizer before exiting (`FUZZ_LEAK_CHECK_EVERY`,
    /// default 1): a full scan of the forked heap costs more than the read itself.
    static let leakCheckInterval = max(1, Int(ProcessInfo.processInfo.environment["FUZZ_LEAK_CHECK_EVERY"] ?? "") ?? 1)

    /// How long a child may take. Reading a file of a few hundred KB takes milliseconds, but a child
    /// that crashes spends seconds in the sanitizer's symbolizer, more on a loaded machine.
    static let childTimeout: Double = 60

    static func prepare() {
        let folder = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        inputPath = "\(folder)/dvebench-fuzz-\(getpid()).h5"
        reportPath = "\(folder)/dvebench-fuzz-\(getpid()).stderr"
        // Initialise libhdf5 once in the parent, so every child starts with it ready.
        _ = try? HDF5File.open("\(folder)/dvebench-fuzz-does-not-exist.h5")
        atexit {
            unlink(HDF5Probe.inputPath)
            unlink(HDF5Probe.reportPath)
            let line = "hdf5 target: \(HDF5Probe.executions) executions, \(HDF5Probe.libraryCrashes) contained crashes inside libhdf5\n"
            HDF5Probe.printError(line)
        }
    }

    static func read(_ file: UnsafeBufferPointer<UInt8>, kind: String) {
        executions += 1
        guard write(file, to: inputPath) else { preconditionFailure("cannot write \(inputPath)") }
        let report = open(reportPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard report >= 0 else { preconditionFailure("cannot open \(reportPath)") }
        let child = fork()
        if child == 0 {
            __sanitizer_set_death_callback(nil)
            dup2(report, 2)
            var status: Int32 = 0
            do { try IsolatedRead.readWhole(inputPath, kind: kind) } catch { status = 3 }
            if executions % leakCheckInterval == 0, __lsan_do_recoverable_leak_check() != 0 { status = 5 }
            _exit(status)
        }
        close(report)
        guard child > 0 else { preconditionFailure("fork failed: \(String(cString: strerror(errno)))") }

        var status: Int32 = 0
        let deadline = Date().addingTimeInterval(childTimeout)
        while waitpid(child, &status, WNOHANG) == 0 {
            if Date() > deadline {
                kill(child, SIGKILL)
                waitpid(child, &status, 0)
                finding("the \(kind) reader did not finish in \(Int(childTimeout)) s")
            }
            usleep(100)
        }
        let signal = status & 0x7f
        let exitCode = (status >> 8) & 0xff
        if signal == 0 && (exitCode == 0 || exitCode == 3) { return }
        // A Swift trap (precondition, overflow, bounds) is SIGILL or SIGTRAP: DVEBench's own code.
        if signal == SIGILL || signal == SIGTRAP { finding("the \(kind) reader trapped (signal \(signal))") }
        if insideLibHDF5(childReport()) || (signal != 0 && childReport().isEmpty) {
            libraryCrashes += 1
            return
        }
        finding("the \(kind) reader failed (signal \(signal), exit \(exitCode))")
    }

    /// True when the sanitizer report's first stack frame outside the sanitizer runtime is libhdf5's.
    static func insideLibHDF5(_ report: String) -> Bool {
        for line in report.split(separator: "\n") {
            let text = line.trimmingCharacters(in: .whitespaces)
            guard text.hasPrefix("#"), text.contains(" in ") || text.contains("(") else { continue }
            // The runtime's own frames: interceptors (memcpy, malloc) and the report machinery.
            if text.contains("compiler-rt/") || text.contains("libclang_rt") || text.contains("sanitizer") { continue }
            return text.contains("libhdf5")
        }
        return false
    }

    static func childReport() -> String {
        (try? String(contentsOfFile: reportPath, encoding: .utf8)) ?? ""
    }

    static func finding(_ what: String) -> Never {
        printError("hdf5 target: \(what)\n--- child's stderr ---\n\(childReport())\n")
        abort()
    }

    static func printError(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    static func write(_ bytes: UnsafeBufferPointer<UInt8>, to path: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n <= 0 { return false }
            offset += n
        }
        return true
    }
}
