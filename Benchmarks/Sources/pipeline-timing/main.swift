import Foundation
import Landmarks
import Tensors
#if canImport(Glibc)
import Glibc
#endif

// Plain-clock timing of the whole pipeline (training iterations, matching evaluation, regression),
// printing JSON that pipeline.sh puts next to torch/pipeline_bench.py. Usage:
//   pipeline-timing --data-root ROOT [--threads 1,2] [--warmup 1] [--iterations 5] [--passes 1]
//                   [--workloads train-smallnet,train-hourglass,matching,regression-extract,regression-epoch]
//                   [--matching-limit PAIRS]
// --iterations counts the training workloads' timed iterations, --passes the other workloads' timed
// passes over their split. ROOT is the reference's data/ folder: ROOT/celeba as `dvebench synth --layout celeba` writes it.
// Each (workload, threads) runs in a child process of this binary, so its peak RSS is its own and not
// the largest of everything run before it in one process.

struct Options {
    var dataRoot: String?
    var threads = [1, 2]
    var warmup = 1
    var iterations = 5
    var passes = 1
    var workloads = PipelineWorkloadKind.allCases
    var matchingLimit: Int?
    var quietThreshold = 0.15
    /// Internal: run exactly one workload at one thread count and print its JSON line.
    var child = false
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("pipeline-timing: \(message)\n".utf8))
    exit(2)
}

func parseOptions() -> Options {
    var options = Options()
    var args = CommandLine.arguments.dropFirst().makeIterator()
    while let arg = args.next() {
        if arg == "--child" { options.child = true; continue }
        guard let value = args.next() else { fail("\(arg) needs a value") }
        func int(_ text: some StringProtocol) -> Int {
            guard let n = Int(text), n >= 0 else { fail("bad \(arg) '\(text)'") }
            return n
        }
        switch arg {
        case "--data-root": options.dataRoot = value
        case "--threads": options.threads = value.split(separator: ",").map(int)
        case "--warmup": options.warmup = int(value)
        case "--iterations": options.iterations = int(value)
        case "--passes": options.passes = int(value)
        case "--matching-limit": options.matchingLimit = int(value)
        case "--quiet-threshold": options.quietThreshold = Double(value) ?? options.quietThreshold
        case "--workloads":
            options.workloads = value.split(separator: ",").map {
                guard let kind = PipelineWorkloadKind(rawValue: String($0)) else { fail("unknown workload '\($0)'") }
                return kind
            }
        default: fail("unknown option \(arg)")
        }
    }
    guard options.dataRoot != nil else { fail("--data-root is required") }
    guard options.iterations > 0, options.passes > 0, options.threads.allSatisfy({ $0 > 0 }) else { fail("iterations and threads must be positive") }
    return options
}

func median(_ xs: [Double]) -> Double {
    guard !xs.isEmpty else { return .nan }
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// Peak resident set of this process, in MB (Linux reports ru_maxrss in kB).
func peakRSSMegabytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

func runChild(_ options: Options) {
    let kind = options.workloads[0], threads = options.threads[0]
    ComputeThreads.set(threads)
    let workload = PipelineWorkload(kind: kind, celebaRoot: (options.dataRoot! as NSString).appendingPathComponent("celeba"),
                                    iterations: options.iterations, passes: options.passes, warmup: options.warmup, matchingLimit: options.matchingLimit)
    let m: PipelineMeasurement
    do { m = try workload.run() } catch { fail("\(kind.rawValue): \(error)") }
    let med = median(m.samples)
    let quiet = zip(m.samples, m.foreignCores).filter { $0.1 < options.quietThreshold }.map(\.0)
    let row: [String: Any] = [
        "workload": kind.rawValue, "threads": threads, "median_ms": med, "samples_ms": m.samples,
        "foreign_cores": m.foreignCores, "quiet_samples_ms": quiet, "items": m.items, "unit": m.unit,
        "items_per_second": Double(m.items) * 1000 / med, "peak_rss_mb": peakRSSMegabytes(),
        "stages_ms": m.stages, "finite": m.checksum.isFinite,
    ]
    guard let data = try? JSONSerialization.data(withJSONObject: row, options: [.sortedKeys]) else { fail("cannot encode JSON") }
    print(String(decoding: data, as: UTF8.self))
}

func runParent(_ options: Options) {
    var rows: [Any] = []
    for kind in options.workloads {
        for threads in options.threads {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
            var arguments = ["--child", "--data-root", options.dataRoot!, "--workloads", kind.rawValue, "--threads", String(threads),
                             "--warmup", String(options.warmup), "--iterations", String(options.iterations), "--passes", String(options.passes),
                             "--quiet-threshold", String(options.quietThreshold)]
            if let limit = options.matchingLimit { arguments += ["--matching-limit", String(limit)] }
            process.arguments = arguments
            let pipe = Pipe()
            process.standardOutput = pipe
            do { try process.run() } catch { fail("cannot start a child: \(error)") }
            let output = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0,
                  let row = try? JSONSerialization.jsonObject(with: output) as? [String: Any] else {
                fail("\(kind.rawValue) at \(threads) threads failed (exit \(process.terminationStatus))")
            }
            FileHandle.standardError.write(Data(String(format: "swift %@ threads=%d median %.1f ms, peak %.0f MB\n", kind.rawValue, threads,
                                                       row["median_ms"] as? Double ?? .nan, row["peak_rss_mb"] as? Double ?? .nan).utf8))
            rows.append(row)
        }
    }
    let report: [String: Any] = ["implementation": "swift", "blas_core": BLAS.coreName, "workloads": rows,
                                 "warmup": options.warmup, "iterations": options.iterations]
    guard let data = try? JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys]) else {
        fail("cannot encode JSON")
    }
    print(String(decoding: data, as: UTF8.self))
}

let options = parseOptions()
if options.child { runChild(options) } else { runParent(options) }
