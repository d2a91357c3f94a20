import CFuzzerDriver
import Foundation
import Glibc
import HDF5
@testable import Harness

/// The HDF5 target's worker factory: this executable started once as `Fuzzers hdf5-zygote INPUT
/// REPORT COVERAGE-FD`, with its own sanitizer options, that forks the workers which read the inputs.
///
/// Why not fork the fuzzer itself, as the target first did: libFuzzer's process grows with its
/// corpus, so each fork copied more, and a worker forked from it inherits the fuzzer's sanitizer
/// options, symbolisation included, which made each of libhdf5's crashes cost seconds. The zygote
/// stays small (libhdf5 and the readers warmed up on the seeds, nothing else) and runs with
/// `symbolize=0`: `CrashReport` reads the unsymbolised reports. It holds one worker at a time,
/// which reads inputs until one crashes or leaks (see `Worker`).
///
/// The fuzzer shares its coverage counters with the zygote (a memfd, see shim.c), which maps them
/// before forking any worker: the workers' coverage is what guides libFuzzer.
///
/// Protocol: the parent writes the input to INPUT and a line with the file kind (its index in
/// `HDF5Probe.kinds`) to the zygote's stdin; the zygote answers one line on stdout: `exited N`,
/// `signalled N` or `stopped time|memory`, with the worker's stderr for that input in REPORT.
enum HDF5Zygote {
    static let command = "hdf5-zygote"
    static let typedError: Int32 = 3
    static let leaked: Int32 = 5
    /// AddressSanitizer's exit status in the workers (its `exitcode` option), distinct from the others.
    static let sanitizerError: Int32 = 23
    /// Seconds a worker may take over one input; a read takes milliseconds. Counted in polls, so a
    /// zygote stopped with the fuzzer (SIGSTOP) does not see its worker as hung when it resumes.
    static let workerTimeout = 10
    /// Resident memory a worker may reach: libhdf5 can allocate without end on a damaged file
    /// (12 GB in 30 s on Tests/Fixtures/fuzz/trajectories-runaway-local-heap.h5), in allocations
    /// each far below the sanitizer's per-allocation cap.
    static let workerMemoryLimit = 2 << 30

    enum Outcome: Equatable {
        case exited(Int32)
        case signalled(Int32)
        /// The zygote stopped the worker with SIGABRT, so that the sanitizer reports where it was.
        case stopped(Limit)
    }

    /// What a stopped worker ran past: `workerTimeout` or `workerMemoryLimit`.
    enum Limit: String {
        case time, memory
    }

    static func executablePath() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard realpath("/proc/self/exe", &buffer) != nil else { return CommandLine.arguments[0] }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    // MARK: the zygote

    static func serve(inputPath: String, reportPath: String, coverage: Int32) -> Never {
        signal(SIGPIPE, SIG_IGN)
        warmUp(scratch: inputPath + ".warm")
        // From here on every worker's coverage lands in the fuzzer's counters.
        guard dve_fuzz_attach_counters(coverage) == 0 else { _exit(1) }
        close(coverage)
        HDF5Library.releaseFreeLists()
        guard dve_fuzz_count_allocations() != 0 else { _exit(1) }
        // Appending, so the worker's writes land after the zygote empties the file per input.
        let report = open(reportPath, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0o600)
        guard report >= 0 else { _exit(1) }
        var worker: Worker?
        while let request = readLine(from: 0) {
            guard let index = Int(request), HDF5Probe.kinds.indices.contains(index) else { _exit(2) }
            ftruncate(report, 0)
            if worker == nil { worker = Worker.start(inputPath: inputPath, report: report) }
            guard let current = worker else { _exit(1) }
            let outcome = current.probe(kind: index)
            current.inputs += 1
            if outcome != .exited(0) && outcome != .exited(typedError) || current.inputs >= Worker.inputsPerWorker {
                current.stop()
                worker = nil
            }
            guard writeLine(describe(outcome), to: 1) else { _exit(0) }
        }
        _exit(0)
    }

    /// A worker reads input after input until one crashes or leaks, or `inputsPerWorker` have
    /// passed; then the zygote forks another. Forking per input cost more than most reads (the
    /// sanitizer's stack depot and allocator pages copied on write), and a fresh process re-creates
    /// the Swift runtime's caches on its first error path, each of which LeakSanitizer then had to
    /// scan the whole process to clear.
    final class Worker {
        static let inputsPerWorker = 2_000
        let pid: pid_t
        let requests: Int32
        let responses: Int32
        var inputs = 0
        private var reaped = false

        private init(pid: pid_t, requests: Int32, responses: Int32) {
            self.pid = pid
            self.requests = requests
            self.responses = responses
        }

        static func start(inputPath: String, report: Int32) -> Worker? {
            var toWorker: [Int32] = [0, 0], fromWorker: [Int32] = [0, 0]
            guard pipe(&toWorker) == 0, pipe(&fromWorker) == 0 else { return nil }
            let pid = fork()
            if pid == 0 {
                close(toWorker[1]); close(fromWorker[0])
                // Only the zygote talks to the fuzzer: its pipes must close when it dies.
                let null = open("/dev/null", O_RDWR)
                dup2(null, 0); dup2(null, 1); dup2(report, 2)
                serveInputs(inputPath: inputPath, requests: toWorker[0], responses: fromWorker[1])
            }
            close(toWorker[0]); close(fromWorker[1])
            guard pid > 0 else { close(toWorker[1]); close(fromWorker[0]); return nil }
            return Worker(pid: pid, requests: toWorker[1], responses: fromWorker[0])
        }

        /// The worker's loop: one line in (the kind's index), one status line out.
        private static func serveInputs(inputPath: String, requests: Int32, responses: Int32) -> Never {
            while let request = readLine(from: requests), let index = Int(request) {
                let kind = HDF5Probe.kinds[index]
                var status: Int32 = 0
                dve_fuzz_reset_allocation_count()
                do { try IsolatedRead.readWhole(inputPath, kind: kind) } catch { status = typedError }
                HDF5Library.releaseFreeLists()
                // Only an input that left allocations behind can have leaked (libFuzzer's rule).
                if dve_fuzz_outstanding_allocations() > 0, __lsan_do_recoverable_leak_check() != 0 { status = leaked }
                guard writeLine(String(status), to: responses), status != leaked else { _exit(status) }
            }
            _exit(0)
        }

        func probe(kind index: Int) -> Outcome {
            guard writeLine(String(index), to: requests) else { return reap() }
            var polls = 0
            var ready = pollfd(fd: responses, events: Int16(POLLIN), revents: 0)
            while poll(&ready, 1, 100) == 0 {
                polls += 1
                let overTime = polls * 100 > workerTimeout * 1000
                if overTime || residentBytes() > workerMemoryLimit { return abort(past: overTime ? .time : .memory) }
            }
            guard let answer = readLine(from: responses), let status = Int32(answer) else { return reap() }
            return .exited(status)
        }

        private func residentBytes() -> Int {
            MemorySize.kernelKilobytes("VmRSS", in: "/proc/\(pid)/status") ?? 0
        }

        /// SIGABRT first: the sanitizer (handle_abort=1) prints the stack the worker was on, which
        /// tells a loop inside libhdf5 from one in DVEBench; SIGKILL if that takes over 5 s.
        private func abort(past limit: Limit) -> Outcome {
            kill(pid, SIGABRT)
            var status: Int32 = 0
            for _ in 0..<50 where waitpid(pid, &status, WNOHANG) == 0 { usleep(100_000) }
            if waitpid(pid, &status, WNOHANG) == 0 {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
            }
            reaped = true
            return .stopped(limit)
        }

        /// The worker's end, once its pipe closed: how it exited.
        private func reap() -> Outcome {
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            reaped = true
            let signal = status & 0x7f
            return signal == 0 ? .exited((status >> 8) & 0xff) : .signalled(signal)
        }

        func stop() {
            close(requests)
            close(responses)
            guard !reaped else { return }
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
    }

    /// libhdf5's initialisation and the readers' lazily built globals happen here once, not in
    /// every worker (where LeakSanitizer would also see them).
    static func warmUp(scratch: String) {
        defer { unlink(scratch) }
        guard let seeds = try? HDF5Probe.seeds() else { return }
        for (_, seed) in seeds {
            let kind = HDF5Probe.kinds[Int(seed[0]) % HDF5Probe.kinds.count]
            let written = seed.dropFirst().withUnsafeBufferPointer { HDF5Probe.write($0, to: scratch) }
            if written { try? IsolatedRead.readWhole(scratch, kind: kind) }
        }
    }

    static func describe(_ outcome: Outcome) -> String {
        switch outcome {
        case .exited(let code): "exited \(code)"
        case .signalled(let signal): "signalled \(signal)"
        case .stopped(let limit): "stopped \(limit.rawValue)"
        }
    }

    static func parse(_ line: String) -> Outcome? {
        let parts = line.split(separator: " ")
        guard parts.count == 2 else { return nil }
        if parts[0] == "stopped" { return HDF5Zygote.Limit(rawValue: String(parts[1])).map { .stopped($0) } }
        guard let value = Int32(parts[1]) else { return nil }
        switch parts[0] {
        case "exited": return .exited(value)
        case "signalled": return .signalled(value)
        default: return nil
        }
    }

    // MARK: lines over pipes

    static func readLine(from fd: Int32) -> String? {
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let n = read(fd, &byte, 1)
            if n < 0, errno == EINTR { continue }
            if n <= 0 { return nil }
            if byte == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(byte)
        }
    }

    static func writeLine(_ line: String, to fd: Int32) -> Bool {
        let bytes = Array((line + "\n").utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    // MARK: the parent's end

    /// The fuzzer's handle on a running zygote.
    final class Connection {
        let pid: pid_t
        let requests: Int32
        let responses: Int32

        private init(pid: pid_t, requests: Int32, responses: Int32) {
            self.pid = pid
            self.requests = requests
            self.responses = responses
        }

        enum StartError: Error { case pipe(Int32), spawn(Int32) }

        /// The workers' sanitizer options: no symbolisation (see the type's comment), an abort
        /// reported with its stack like any other crash, and an exit status of their own. Five
        /// frames per allocation instead of 30 (libhdf5 allocates a lot, and each allocation records
        /// its stack): enough to reach the first frame past malloc, the Swift runtime's or libhdf5's.
        static let workerSanitizerOptions = "symbolize=0:handle_abort=1:detect_leaks=1:malloc_context_size=5:exitcode=\(sanitizerError)"

        static func start(inputPath: String, reportPath: String, coverage: Int32) throws -> Connection {
            signal(SIGPIPE, SIG_IGN)
            var toZygote: [Int32] = [0, 0], fromZygote: [Int32] = [0, 0]
            guard pipe(&toZygote) == 0, pipe(&fromZygote) == 0 else { throw StartError.pipe(errno) }
            // Only the zygote's stdin and stdout (dup2 clears the flag on those) cross into it.
            for fd in toZygote + fromZygote { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_adddup2(&actions, toZygote[0], 0)
            posix_spawn_file_actions_adddup2(&actions, fromZygote[1], 1)

            var environment = ProcessInfo.processInfo.environment
            let inherited = environment["ASAN_OPTIONS"].map { $0 + ":" } ?? ""
            environment["ASAN_OPTIONS"] = inherited + workerSanitizerOptions
            // The coverage memfd is inherited (it has no close-on-exec flag) and named by number.
            let arguments = [executablePath(), command, inputPath, reportPath, String(coverage)]
            let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
            let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
            defer { (argv + envp).forEach { free($0) } }
            var pid: pid_t = 0
            let status = posix_spawn(&pid, arguments[0], &actions, nil, argv, envp)
            close(toZygote[0])
            close(fromZygote[1])
            guard status == 0 else {
                close(toZygote[1]); close(fromZygote[0])
                throw StartError.spawn(status)
            }
            return Connection(pid: pid, requests: toZygote[1], responses: fromZygote[0])
        }

        /// One input through a worker; nil when the zygote is gone.
        func probe(kind: Int) -> Outcome? {
            guard writeLine(String(kind), to: requests), let answer = readLine(from: responses) else { return nil }
            return parse(answer)
        }

        func stop() {
            close(requests)
            close(responses)
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
    }
}
