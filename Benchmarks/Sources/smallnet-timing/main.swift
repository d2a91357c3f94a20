import Foundation
import SmallNetWorkloads
import Tensors

// Plain-clock timing of the same workloads as the ordo-one suite, printing JSON medians
// (compare.sh puts these next to torch/smallnet_bench.py). Usage:
//   smallnet-timing [--threads 1,2] [--warmup 3] [--iterations 15] [--workloads forward-eval,train-step]
//                   [--per-layer yes] [--quiet-threshold 0.15] [--input-gradient yes|no]
//                   [--conv-algorithm automatic|lowered]
// --conv-algorithm lowered times every convolution by im2col + SGEMM (no Winograd), for the before/after.
// --input-gradient no stops the train step computing conv1's input gradient (default: yes, as
// SmallNet.backward does; pair it with torch/smallnet_bench.py --no-input-grad).
// Every sample also records how many cores other processes used meanwhile (`foreign_cores`, from
// /proc/stat); `quiet_samples_ms` keeps the samples below --quiet-threshold.
// --per-layer yes adds, per workload and thread count, the median wall time of every leaf layer
// (forward and backward separately), measured in separate passes after the whole-network timing.

struct Options {
    var threads = [1, 2]
    var warmup = 3
    var iterations = 15
    var workloads = SmallNetWorkloadKind.allCases
    var perLayer = false
    var inputGradient = true
    var convolutionAlgorithm = ConvolutionAlgorithm.automatic
    /// Samples during which other processes used less than this many cores count as quiet.
    var quietThreshold = 0.15
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("smallnet-timing: \(message)\n".utf8))
    exit(2)
}

func parse<T>(_ text: some StringProtocol, _ what: String, _ make: (String) -> T?) -> T {
    guard let value = make(String(text)) else { fail("bad \(what) '\(text)'") }
    return value
}

func parseOptions() -> Options {
    var options = Options()
    var args = CommandLine.arguments.dropFirst().makeIterator()
    while let arg = args.next() {
        guard let value = args.next() else { fail("\(arg) needs a value") }
        switch arg {
        case "--threads":
            options.threads = value.split(separator: ",").map { parse($0, "thread count") { Int($0) } }
        case "--warmup":
            options.warmup = parse(value, "--warmup") { Int($0) }
        case "--iterations":
            options.iterations = parse(value, "--iterations") { Int($0) }
        case "--workloads":
            options.workloads = value.split(separator: ",").map { parse($0, "workload") { SmallNetWorkloadKind(rawValue: $0) } }
        case "--quiet-threshold":
            options.quietThreshold = parse(value, "--quiet-threshold") { Double($0) }
        case "--input-gradient":
            options.inputGradient = parse(value, "--input-gradient (yes/no)") { ["yes": true, "no": false][$0] }
        case "--conv-algorithm":
            options.convolutionAlgorithm = parse(value, "--conv-algorithm (automatic/lowered)") {
                ["automatic": .automatic, "lowered": .lowered][$0]
            }
        case "--per-layer":
            options.perLayer = parse(value, "--per-layer (yes/no)") { ["yes": true, "no": false][$0] }
        default:
            fail("unknown option \(arg)")
        }
    }
    guard options.iterations > 0, options.warmup >= 0, options.threads.allSatisfy({ $0 > 0 }) else {
        fail("iterations and thread counts must be positive")
    }
    return options
}

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

func milliseconds(_ d: Duration) -> Double {
    Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) / 1e15
}

let options = parseOptions()
let workload = SmallNetWorkload()
workload.computesInputGradient = options.inputGradient
setConvolutionAlgorithm(options.convolutionAlgorithm, in: workload.net)
var sink: Float = 0
var results: [[String: Any]] = []
let clock = ContinuousClock()

for kind in options.workloads {
    for threads in options.threads {
        SmallNetWorkload.setThreads(threads)
        for _ in 0..<options.warmup { sink += workload.run(kind) }
        var samples: [Double] = []
        var foreign: [Double] = []
        for _ in 0..<options.iterations {
            let probe = ForeignLoadProbe()
            let start = clock.now
            sink += workload.run(kind)
            samples.append(milliseconds(clock.now - start))
            foreign.append(probe.foreignCores() ?? 0)
        }
        let med = median(samples)
        let quiet = zip(samples, foreign).filter { $0.1 < options.quietThreshold }.map(\.0)
        var layerRows: [[String: Any]] = []
        if options.perLayer {
            var byLayer: [String: [Double]] = [:]
            var order: [String] = []
            for _ in 0..<options.iterations {
                for t in workload.timedLayers(kind) {
                    let key = t.phase + " " + t.name
                    if byLayer[key] == nil { order.append(key) }
                    byLayer[key, default: []].append(t.seconds * 1000)
                }
            }
            layerRows = order.map { key in
                let parts = key.split(separator: " ", maxSplits: 1).map(String.init)
                return ["phase": parts[0], "layer": parts[1], "median_ms": median(byLayer[key]!)]
            }
        }
        results.append([
            "layers": layerRows,
            "workload": kind.rawValue,
            "threads": threads,
            "median_ms": med,
            "min_ms": samples.min() ?? 0,
            "max_ms": samples.max() ?? 0,
            "images_per_s": Double(workload.batch) * 1000 / med,
            "samples_ms": samples,
            "foreign_cores": foreign,
            "quiet_samples_ms": quiet,
        ])
        FileHandle.standardError.write(Data(String(format: "swift %@ threads=%d median %.1f ms (%d/%d quiet samples)\n",
                                                   kind.rawValue, threads, med, quiet.count, samples.count).utf8))
    }
}

let report: [String: Any] = [
    "implementation": "swift",
    "batch": workload.batch,
    "size": workload.size,
    "output_channels": workload.outputChannels,
    "warmup": options.warmup,
    "iterations": options.iterations,
    "input_gradient": options.inputGradient,
    "conv_algorithm": options.convolutionAlgorithm == .lowered ? "lowered" : "automatic",
    "quiet_threshold": options.quietThreshold,
    "blas_core": SmallNetWorkload.blasCoreName,
    "parameters": workload.net.parameterCount,
    "outputs_finite": sink.isFinite,
    "results": results,
]
let data = try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys])
print(String(decoding: data, as: UTF8.self))
