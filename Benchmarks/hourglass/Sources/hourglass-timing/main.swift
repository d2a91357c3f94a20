import Foundation
import Landmarks
import Tensors
#if canImport(Glibc)
import Glibc
#endif

// Plain-clock timing of the Hourglass (64-d, formula weights of seed 0), printing one JSON object per
// (workload, threads) on stdout, next to Benchmarks/torch/hourglass_bench.py. Usage:
//   hourglass-timing [--threads 1,2] [--warmup 2] [--iterations 7] [--workloads forward-eval,train-step]
//                    [--batch 8] [--size 96] [--memory yes] [--chunk N]
// Workloads (the same on the PyTorch side):
//   forward-eval  one eval-mode forward of `batch` images (8 × 3 × 96 × 96 → 8 × 64 × 48 × 48)
//   train-step    a training step's network work on `batch` pairs = 2·batch images: train-mode forward,
//                 zeroGrad, backward of a fixed random output gradient; the stem conv computes no
//                 input gradient (as in the trainer); no optimiser update.
// Every sample records how many cores other processes used meanwhile (`foreign_cores`, /proc/stat).
// --memory yes also reports peak RSS (VmHWM) after the timed runs, and the peak of one train step
// measured from a reset high-water mark (/proc/self/clear_refs = 5).

struct Options {
    var threads = [1, 2]
    var warmup = 2
    var iterations = 7
    var workloads = ["forward-eval", "train-step"]
    var batch = 8
    var size = 96
    var memory = false
    /// Eval images per forward inside the network (`HourglassNet.inferenceChunk`); default: the batch.
    var chunk: Int?
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("hourglass-timing: \(message)\n".utf8))
    exit(2)
}

func parseOptions() -> Options {
    var o = Options()
    var args = CommandLine.arguments.dropFirst().makeIterator()
    while let arg = args.next() {
        guard let value = args.next() else { fail("\(arg) needs a value") }
        func int(_ s: some StringProtocol) -> Int {
            guard let v = Int(s), v > 0 else { fail("\(arg): '\(s)' is not a positive integer") }
            return v
        }
        switch arg {
        case "--threads": o.threads = value.split(separator: ",").map(int)
        case "--warmup": o.warmup = Int(value) ?? -1; if o.warmup < 0 { fail("bad --warmup \(value)") }
        case "--iterations": o.iterations = int(value)
        case "--workloads": o.workloads = value.split(separator: ",").map(String.init)
        case "--batch": o.batch = int(value)
        case "--size": o.size = int(value)
        case "--memory": o.memory = value == "yes"
        case "--chunk": o.chunk = int(value)
        default: fail("unknown option \(arg)")
        }
    }
    for w in o.workloads where !["forward-eval", "train-step"].contains(w) { fail("unknown workload \(w)") }
    return o
}

/// Cores used by everything but this process since `start` (user+nice+system+irq+softirq+steal).
struct ForeignLoad {
    let busy: Double?, own: Double, wall = ContinuousClock.now
    init() { busy = ForeignLoad.busyTicks(); own = ForeignLoad.ownCPU() }
    static func busyTicks() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = text.split(separator: "\n").first else { return nil }
        let f = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        return f.count >= 8 ? f[0] + f[1] + f[2] + f[5] + f[6] + f[7] : nil
    }
    static func ownCPU() -> Double {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) / 1e6 + Double(u.ru_stime.tv_sec) + Double(u.ru_stime.tv_usec) / 1e6
    }
    func cores() -> Double? {
        guard let b0 = busy, let b1 = ForeignLoad.busyTicks() else { return nil }
        let d = ContinuousClock.now - wall
        let s = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return s > 0 ? max(0, (b1 - b0) / ticks - (ForeignLoad.ownCPU() - own)) / s : nil
    }
}

/// A field of /proc/self/status in kB (VmHWM: peak RSS, VmRSS: current).
func status(_ field: String) -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
    for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
    }
    return -1
}

func resetPeak() { try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8) }

func milliseconds(_ d: Duration) -> Double { Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) / 1e15 }

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.isEmpty ? .nan : s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

let options = parseOptions()
let net: HourglassNet
do {
    net = try HourglassNet(outputChannels: 64)
    try FormulaWeights.apply(to: net, seed: 0)
} catch { fail("\(error)") }
convolutions(in: net).first?.computesInputGradient = false
var rng = SeededGenerator(seed: 1)
let evalInput = Tensor.normal(shape: [options.batch, 3, options.size, options.size], using: &rng)
let trainInput = Tensor.normal(shape: [2 * options.batch, 3, options.size, options.size], using: &rng)
let side = options.size / 2
let gradient = Tensor.normal(shape: [2 * options.batch, 64, side, side], using: &rng)
net.inferenceChunk = options.chunk ?? options.batch
let baselineKB = status("VmRSS")
var sink: Float = 0

@MainActor func run(_ workload: String) {
    if workload == "forward-eval" {
        sink += net.forward(evalInput, training: false)[flat: 0]
    } else {
        let y = net.forward(trainInput, training: true)
        sink += y[flat: 0]
        net.zeroGrad()
        _ = net.backward(gradient)
        sink += net.conv1.weight.grad[flat: 0]
    }
}

let clock = ContinuousClock()
for workload in options.workloads {
    for threads in options.threads {
        ComputeThreads.set(threads)
        for _ in 0..<options.warmup { run(workload) }
        var samples: [Double] = [], foreign: [Double] = []
        for _ in 0..<options.iterations {
            let probe = ForeignLoad()
            let start = clock.now
            run(workload)
            samples.append(milliseconds(clock.now - start))
            foreign.append(probe.cores() ?? -1)
        }
        let quiet = zip(samples, foreign).filter { $0.1 >= 0 && $0.1 < 0.15 }.map(\.0)
        let row: [String: Any] = [
            "impl": "swift", "workload": workload, "threads": threads, "batch": options.batch, "size": options.size,
            "median_ms": median(samples), "quiet_median_ms": quiet.isEmpty ? NSNull() : median(quiet) as Any,
            "samples_ms": samples, "foreign_cores": foreign,
        ]
        let data = try JSONSerialization.data(withJSONObject: row, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}
if options.memory {
    let afterTiming = status("VmHWM")
    ComputeThreads.set(options.threads.last ?? 1)
    resetPeak()
    let before = status("VmRSS")
    run("train-step")
    let row: [String: Any] = [
        "impl": "swift", "memory": true, "batch_images_train": 2 * options.batch, "size": options.size,
        "baseline_rss_kb": baselineKB, "peak_rss_kb_whole_run": afterTiming,
        "rss_before_step_kb": before, "peak_rss_kb_train_step": status("VmHWM"), "pooled_floats": net.pooledElementCount,
    ]
    let data = try JSONSerialization.data(withJSONObject: row, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}
if sink.isNaN { FileHandle.standardError.write(Data("NaN\n".utf8)) }
