import Foundation
import Landmarks

/// What a row will hold in memory at its peak, worked out before it starts, so a run that cannot
/// fit fails at once with the numbers instead of swapping (or being killed) hours in.
///
/// A row's memory comes in two phases that never overlap, because the training's datasets and
/// buffers are released before the protocol opens its splits:
/// - **training** (and fine-tuning): the network's activations, gradients and scratch for 2·B images
///   of the cropped size, plus the decoded-image cache of the SynthFaces training split;
/// - **evaluation**: the evaluation splits' image caches, plus, for regression rows, every
///   descriptor of the train and test splits (N·C·h·w float32, extracted in memory: 5.5 GiB for the
///   real MAFL train split at 64 d).
/// On top sits the process itself (code, libraries, the network's weights).
///
/// The per-pixel activation costs are measured, not derived (`activationBytesPerPixel`): peak RSS
/// of `dvebench run` at several batch sizes, fitted per architecture, and rounded up.
public struct MemoryEstimate: Sendable, CustomStringConvertible {
    public var row: String
    /// What each part holds, in bytes, by phase.
    public var training: [(what: String, bytes: Int)] = []
    public var evaluation: [(what: String, bytes: Int)] = []

    public static let processBytes = 160 << 20

    /// Row details recording the estimate and the measured peak (bytes, decimal).
    public static let estimateDetail = "memory.estimate_bytes"
    public static let peakDetail = "memory.peak_rss_bytes"

    public var trainingBytes: Int { training.map(\.bytes).reduce(0, +) }
    public var evaluationBytes: Int { evaluation.map(\.bytes).reduce(0, +) }
    public var total: Int { Self.processBytes + max(trainingBytes, evaluationBytes) }

    public var description: String {
        let peak = trainingBytes >= evaluationBytes ? training : evaluation
        let parts = peak.map { "\($0.what) \(MemorySize.describe($0.bytes))" } + ["process \(MemorySize.describe(Self.processBytes))"]
        return "\(row): about \(MemorySize.describe(total)) (\(parts.joined(separator: ", ")))"
    }

    /// Training memory per image of `side`×`side` input, in bytes per pixel: activations, their
    /// gradients, saved BatchNorm inputs, im2col scratch and the loss's buffers. Measured peaks of
    /// `dvebench run` (DVE rows, 2 threads, 2026-12-06) rose by 33.2 MB per pair for SmallNet at
    /// 70×70 (4/16/32 pairs: 230/630/1160 MB), i.e. 3 390 B per pixel, and by 360 MB per pair for
    /// the Hourglass at 96×96 (2/8/16 pairs: 1.10/3.25/6.14 GB), 19 530 B per pixel; rounded up.
    static func activationBytesPerPixel(architecture: String) -> Int {
        architecture == "hourglass" ? 20_500 : 3_600
    }

    /// What training holds whatever the batch: weights, gradients and Adam's two moments, and
    /// per-layer buffers sized by the network rather than the batch. The Hourglass's fit above
    /// leaves 377 MB at zero pairs against SmallNet's 97 MB (under `processBytes`).
    static func trainingFixedBytes(architecture: String) -> Int {
        architecture == "hourglass" ? 256 << 20 : 0
    }

    /// Bytes a SynthFaces split keeps as decoded images: every item at imwidth², up to the cache's cap.
    static func imageCacheBytes(items: Int, imageWidth: Int) -> Int {
        min(SynthTreeDataset.cacheBudget, items * imageWidth * imageWidth * 3)
    }

    /// The network's output side for an input side: SmallNet and the Hourglass both halve it.
    static func descriptorSide(inputSide: Int) -> Int { inputSide / 2 }
}

/// Works out `MemoryEstimate`s for rows, opening their datasets to count items (annotations only).
struct MemoryPlanner {
    let resolver: DatasetResolver
    let mode: RunMode

    /// Items of `dataset`'s split, or nil when it cannot be opened (the row reports that itself).
    private func items(_ dataset: String, _ split: SynthSplit, imwidth: Int, crop: Int) -> Int? {
        guard let preprocessing = try? DatasetPreprocessing(imageWidth: imwidth, crop: crop),
              let opened = try? resolver.dataset(dataset, split: split, preprocessing: preprocessing) else { return nil }
        return opened.count
    }

    func estimate(_ manifest: Manifest) -> MemoryEstimate {
        var estimate = MemoryEstimate(row: manifest.id)
        let architecture = manifest.model.architecture
        func training(_ recipe: RecipeSpec, _ dataset: String, _ label: String) {
            let side = recipe.imwidth - 2 * recipe.crop
            let pairs = resolver.scale.trainingBatchPairs ?? recipe.batchPairs
            let images = 2 * pairs
            estimate.training.append(("\(label) activations (\(images) images of \(side)×\(side))",
                                      images * side * side * MemoryEstimate.activationBytesPerPixel(architecture: architecture)
                                        + MemoryEstimate.trainingFixedBytes(architecture: architecture)))
            if resolver.isSynthetic, let n = items(dataset, .embeddingTraining, imwidth: recipe.imwidth, crop: recipe.crop) {
                estimate.training.append(("\(label) images (\(n))", MemoryEstimate.imageCacheBytes(items: n, imageWidth: recipe.imwidth)))
            }
        }
        if mode == .train {
            training(manifest.model.recipe, manifest.model.recipe.dataset, "training")
        }
        if let finetune = manifest.finetune {
            training(finetune.recipe, finetune.dataset, "fine-tuning")
        }

        let evaluation = manifest.evaluation
        let splits: [SynthSplit] = manifest.protocol.kind == "matching" ? [.test] : [.train, .test]
        let side = evaluation.imwidth - 2 * evaluation.crop
        let descriptorSide = MemoryEstimate.descriptorSide(inputSide: side)
        for split in splits {
            guard let n = items(evaluation.dataset, split, imwidth: evaluation.imwidth, crop: evaluation.crop) else { continue }
            if resolver.isSynthetic {
                estimate.evaluation.append(("\(split) images (\(n))", MemoryEstimate.imageCacheBytes(items: n, imageWidth: evaluation.imwidth)))
            }
            if manifest.protocol.kind != "matching" {
                let bytes = n * manifest.model.embeddingDim * descriptorSide * descriptorSide * 4
                estimate.evaluation.append(("\(split) descriptors (\(n)×\(manifest.model.embeddingDim)×\(descriptorSide)×\(descriptorSide))", bytes))
            }
        }
        return estimate
    }
}

/// Memory sizes as users write them (`--max-memory 8G`) and as messages print them.
public enum MemorySize {
    /// "123456", "512M", "8G", "1.5GiB", "2T" (powers of 1024, case-insensitive, optional "B"/"iB").
    public static func parse(_ text: String) -> Int? {
        var digits = text.trimmingCharacters(in: .whitespaces).uppercased()
        for suffix in ["IB", "B"] where digits.hasSuffix(suffix) { digits.removeLast(suffix.count); break }
        let units: [Character: Double] = ["K": 1024, "M": 1024 * 1024, "G": 1024 * 1024 * 1024, "T": 1024 * 1024 * 1024 * 1024]
        var factor = 1.0
        if let last = digits.last, let unit = units[last] {
            factor = unit
            digits.removeLast()
        }
        guard let value = Double(digits), value.isFinite, value > 0 else { return nil }
        let bytes = value * factor
        guard bytes < Double(Int.max / 2) else { return nil }
        return Int(bytes)
    }

    public static func describe(_ bytes: Int) -> String {
        let gib = Double(bytes) / Double(1 << 30)
        if gib >= 1 { return String(format: "%.1f GiB", gib) }
        return String(format: "%.0f MiB", Double(bytes) / Double(1 << 20))
    }

    /// What the machine can give this process now: `MemAvailable`, and the cgroup's remaining
    /// allowance when the process runs under a memory limit (containers, Slurm's cgroup plugin).
    public static func available() -> (bytes: Int, source: String)? {
        var best: (bytes: Int, source: String)?
        if let bytes = kernelKilobytes("MemAvailable", in: "/proc/meminfo") {
            best = (bytes, "the machine's available memory (MemAvailable)")
        }
        if let limit = cgroupValue("memory.max"), let used = cgroupValue("memory.current") {
            let left = max(0, limit - used)
            if best == nil || left < best!.bytes { best = (left, "the cgroup's memory limit (memory.max − memory.current)") }
        }
        return best
    }

    /// A `Key:   1234 kB` line of a /proc file (`/proc/meminfo`, `/proc/self/status`), in bytes.
    static func kernelKilobytes(_ key: String, in file: String) -> Int? {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") }),
              let kib = Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "") else { return nil }
        return kib * 1024
    }

    /// A cgroup v2 value of this process's own cgroup; nil when unlimited or absent.
    private static func cgroupValue(_ name: String) -> Int? {
        guard let membership = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8),
              let line = membership.split(separator: "\n").first(where: { $0.hasPrefix("0::") }) else { return nil }
        let path = "/sys/fs/cgroup" + line.dropFirst(3) + "/" + name
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

/// The process's peak resident memory (`VmHWM`), which Linux lets a process reset (`clear_refs` 5),
/// so each row's own peak can be recorded.
enum MemoryPeak {
    static func reset() {
        guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return }
        try? handle.write(contentsOf: Data("5".utf8))
        try? handle.close()
    }

    static func current() -> Int? { MemorySize.kernelKilobytes("VmHWM", in: "/proc/self/status") }
}
