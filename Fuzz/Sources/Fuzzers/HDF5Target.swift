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
    /// libhdf5: a worker process reads the input (`HDF5Zygote`) and runs LeakSanitizer when it
    /// left allocations behind;
    /// - the worker answers (read, or a typed error): the expected outcome;
    /// - it dies with a report that blames libhdf5 (`CrashReport`): what `IsolatedRead` turns into
    ///   "the HDF5 library crashed reading it"; counted, not a finding;
    /// - it runs past 10 s or 2 GiB: stopped with SIGABRT, and judged by where it was, like a crash;
    /// - anything else (a Swift trap, a report, leak or runaway in DVEBench's own code or the Swift
    ///   runtime) aborts the fuzzer with the worker's report, and libFuzzer saves the input.
    /// The worker's coverage reaches libFuzzer through counters shared with this process (shim.c).
    /// The input's first byte picks the file kind; the rest is the file.
    static let hdf5 = FuzzTarget(
        name: "hdf5",
        prepare: { HDF5Probe.prepare() },
        run: { input in
            guard let selector = input.first else { return 0 }
            HDF5Probe.read(UnsafeBufferPointer(rebasing: input.dropFirst()), kind: Int(selector) % HDF5Probe.kinds.count)
            return 0
        },
        seeds: { try HDF5Probe.seeds() })
}

enum HDF5Probe {
    static let kinds = [ResultSet.kind, ExpectedSet.kind, TrajectoryFile.kind, IsolatedRead.evalWarpsKind]

    /// Per-process scratch files in /dev/shm (tmpfs): the input as a file, and the worker's stderr.
    nonisolated(unsafe) static var inputPath = ""
    nonisolated(unsafe) static var reportPath = ""
    nonisolated(unsafe) static var zygote: HDF5Zygote.Connection?
    nonisolated(unsafe) static var symbols: ExecutableSymbols?
    nonisolated(unsafe) static var sharedCoverage: Int32 = -1
    nonisolated(unsafe) static var libraryCrashes = 0
    nonisolated(unsafe) static var libraryLeaks = 0
    nonisolated(unsafe) static var libraryRunaways = 0
    nonisolated(unsafe) static var executions = 0

    static func prepare() {
        let folder = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        inputPath = "\(folder)/dvebench-fuzz-\(getpid()).h5"
        reportPath = "\(folder)/dvebench-fuzz-\(getpid()).stderr"
        sharedCoverage = dve_fuzz_share_counters()
        guard sharedCoverage >= 0 else {
            printError("hdf5 target: cannot share the coverage counters with the workers (errno \(errno))\n")
            exit(1)
        }
        do {
            symbols = try ExecutableSymbols.load(HDF5Zygote.executablePath())
        } catch {
            printError("hdf5 target: cannot read this executable's symbol table: \(error)\n")
            exit(1)
        }
        atexit {
            HDF5Probe.zygote?.stop()
            unlink(HDF5Probe.inputPath)
            unlink(HDF5Probe.reportPath)
            let line = "hdf5 target: \(HDF5Probe.executions) executions; inside libhdf5, contained: \(HDF5Probe.libraryCrashes) crashes, \(HDF5Probe.libraryLeaks) leaks, \(HDF5Probe.libraryRunaways) runaways (time or memory)\n"
            HDF5Probe.printError(line)
        }
    }

    static func read(_ file: UnsafeBufferPointer<UInt8>, kind index: Int) {
        let kind = kinds[index]
        guard write(file, to: inputPath) else { preconditionFailure("cannot write \(inputPath)") }
        executions += 1
        var answer: HDF5Zygote.Outcome?
        // The zygote never reads a file itself, so it should never stop; if it does, start another.
        for _ in 0..<3 where answer == nil {
            if zygote == nil { zygote = startZygote() }
            answer = zygote?.probe(kind: index)
            if answer == nil {
                zygote?.stop()
                zygote = nil
            }
        }
        guard let outcome = answer else { finding("the zygote stopped three times in a row", report: workerReport()) }
        switch outcome {
        case .exited(0), .exited(HDF5Zygote.typedError):
            return
        case .exited(HDF5Zygote.sanitizerError), .exited(HDF5Zygote.leaked):
            let report = CrashReport(text: workerReport(), symbols: symbols!)
            let leaked = outcome == .exited(HDF5Zygote.leaked)
            // A leak report lists every leak; an error report's first stack is the error's.
            let stacks = leaked ? report.stacks : Array(report.stacks.prefix(1))
            let blames = stacks.map(report.blame)
            if !blames.isEmpty, blames.allSatisfy({ $0 == .hdf5Library }) {
                if leaked { libraryLeaks += 1 } else { libraryCrashes += 1 }
                return
            }
            let culprit = blames.first { $0 != .hdf5Library } ?? .elsewhere("an empty report")
            finding("the \(kind) reader \(leaked ? "leaked" : "crashed") in \(culprit)", report: report.annotated)
        case .exited(let code):
            finding("the \(kind) reader exited with status \(code)", report: workerReport())
        case .signalled(let signal):
            // The sanitizer catches SEGV, BUS, FPE and abort itself, with a report; what is left is a
            // Swift trap (SIGILL, SIGTRAP), DVEBench's own code.
            finding("the \(kind) reader was killed by signal \(signal)", report: workerReport())
        case .stopped(let limit):
            // Where the worker was when it was stopped decides, as for a crash.
            let report = CrashReport(text: workerReport(), symbols: symbols!)
            let blame = report.stacks.first.map(report.blame) ?? .elsewhere("no stack in the report")
            if blame == .hdf5Library {
                libraryRunaways += 1
                return
            }
            let past = switch limit {
            case .memory: "went past \(HDF5Zygote.workerMemoryLimit >> 30) GiB"
            case .time: "ran past \(HDF5Zygote.workerTimeout) s"
            }
            finding("the \(kind) reader \(past) in \(blame)", report: report.annotated)
        }
    }

    static func startZygote() -> HDF5Zygote.Connection {
        do {
            return try HDF5Zygote.Connection.start(inputPath: inputPath, reportPath: reportPath, coverage: sharedCoverage)
        } catch {
            printError("hdf5 target: cannot start the zygote: \(error)\n")
            exit(1)
        }
    }

    static func workerReport() -> String {
        (try? String(contentsOfFile: reportPath, encoding: .utf8)) ?? ""
    }

    static func finding(_ what: String, report: String) -> Never {
        printError("hdf5 target: \(what)\n--- the worker's stderr (unsymbolised; this binary's frames named from its symbol table) ---\n\(report)\n")
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
