import Foundation
import TorchFormat

/// The report `dvebench inspect FILE.pth` prints: container format, `arch`, `epoch`, the tensor table
/// (key, dtype, shape), a config summary, the optimizer's shape, the globals the pickle names, and
/// whether the weights map onto a model of this build. Reading refuses unsafe files exactly as loading
/// does, so inspecting an untrusted file is safe.
public enum CheckpointInspection {
    public static func lines(path: String) throws -> [String] {
        let file = try TorchFile.read(contentsOf: path)
        var lines: [String] = ["file: \(path)"]
        switch file.format {
        case .legacy:
            lines.append("format: legacy torch.save stream (PyTorch ≤ 1.5), \(file.storageKeys.count) storages")
        case .zip:
            lines.append("format: zip (PyTorch ≥ 1.6), folder \(file.archivePrefix ?? "?"), \(file.zipEntries.count) entries")
        }
        let checkpoint: TorchCheckpoint
        do {
            checkpoint = try TorchCheckpoint(file)
        } catch {
            // Not a checkpoint: still show every tensor the file holds, by where it sits.
            lines.append("contents: \(file.object.typeName), not a checkpoint (\(error.reasonText))")
            lines.append("globals: \(file.globals.joined(separator: ", "))")
            var found: [TorchStateEntry] = []
            collectTensors(file.object, path: "", into: &found)
            lines += table(found, title: "tensors")
            lines.append("maps onto: nothing (no state dict)")
            return lines
        }
        if checkpoint.isBareStateDict {
            lines.append("contents: a bare state dict (no arch, epoch, optimizer or config)")
        } else {
            lines.append("arch: \(checkpoint.arch ?? "(none)")")
            lines.append("epoch: \(checkpoint.epoch.map(String.init) ?? "(none)")")
            lines.append("monitor_best: \(checkpoint.monitorBest?.pythonRepr() ?? "(none)")")
        }
        lines.append("globals: \(file.globals.joined(separator: ", "))")
        lines += configLines(checkpoint)
        if let optimizer = checkpoint.optimizer { lines.append("optimizer: \(optimizerSummary(optimizer))") }

        lines += table(checkpoint.stateDict.entries, title: "state_dict")
        lines += CheckpointModels.mappingLine(checkpoint).split(separator: "\n").map(String.init)
        return lines
    }

    /// The tensor table: key, dtype, shape, and the view geometry of non-contiguous tensors.
    static func table(_ entries: [TorchStateEntry], title: String) -> [String] {
        var lines: [String] = []
        let elements = entries.reduce(0) { $0 + $1.tensor.count }
        lines.append("\(title): \(entries.count) tensors, \(elements) elements")
        let keyWidth = max(3, entries.map(\.key.count).max() ?? 0)
        let dtypeWidth = max(5, entries.map(\.tensor.dtype.rawValue.count).max() ?? 0)
        lines.append("  " + pad("key", keyWidth) + "  " + pad("dtype", dtypeWidth) + "  shape")
        for entry in entries {
            let t = entry.tensor
            var notes = ""
            if !t.isCompactAndContiguous { notes = "  (view: offset \(t.storageOffset), stride \(t.stride))" }
            lines.append("  " + pad(entry.key, keyWidth) + "  " + pad(t.dtype.rawValue, dtypeWidth) + "  " + shapeText(t.shape) + notes)
        }
        return lines
    }

    /// Tensors anywhere in `value`, named by their path (`nested.list[0]`); at most 100 000.
    static func collectTensors(_ value: PickleValue, path: String, into found: inout [TorchStateEntry]) {
        guard found.count < 100_000 else { return }
        switch value {
        case .tensor(let t): found.append(TorchStateEntry(key: path.isEmpty ? "(root)" : path, tensor: t))
        case .dict(let d):
            for entry in d.entries {
                let key = entry.key.string ?? entry.key.pythonRepr(maxLength: 40)
                collectTensors(entry.value, path: path.isEmpty ? key : path + "." + key, into: &found)
            }
        case .list(let items), .tuple(let items), .set(let items):
            for (i, item) in items.enumerated() { collectTensors(item, path: "\(path)[\(i)]", into: &found) }
        case .object(let o):
            if let state = o.state { collectTensors(state, path: path + "<\(o.className)>", into: &found) }
        default: break
        }
    }

    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }

    /// Python's spelling of a shape: `(20, 3, 5, 5)`, `()`, `(16,)`.
    static func shapeText(_ shape: [Int]) -> String {
        shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }

    static func configLines(_ checkpoint: TorchCheckpoint) -> [String] {
        guard let config = checkpoint.config else {
            return checkpoint.configObject.map { ["config: \($0.typeName) (no JSON config inside)"] } ?? []
        }
        let kind = checkpoint.configObject?.typeName ?? "dict"
        var facts: [String] = []
        func add(_ label: String, _ path: String...) {
            var value: PickleValue? = config
            for key in path { value = value?[key] }
            if let value { facts.append("\(label) \(value.pythonJSON(maxLength: 200))") }
        }
        add("arch", "arch", "type")
        add("args", "arch", "args")
        add("loss", "loss")
        add("loss_args", "loss_args")
        add("dataset", "dataset", "type")
        add("epochs", "trainer", "epochs")
        add("optimizer", "optimizer", "type")
        add("lr", "optimizer", "args", "lr")
        add("n_gpu", "n_gpu")
        let summary = checkpoint.summary
        var lines = ["config: \(kind), \(config.dictionary?.count ?? 0) top-level keys"]
        if !facts.isEmpty { lines.append("  " + facts.joined(separator: "; ")) }
        lines.append("  manifest facts: architecture \(summary.architecture ?? "?"), embedding dimension \(summary.embeddingDimension.map(String.init) ?? "?"), loss \(summary.loss ?? "?")")
        return lines
    }

    static func optimizerSummary(_ optimizer: PickleValue) -> String {
        guard let groups = optimizer["param_groups"]?.elements else { return optimizer.typeName }
        let rates = groups.compactMap { $0["lr"].map { $0.pythonRepr() } }
        let parameters = groups.reduce(0) { $0 + ($1["params"]?.elements?.count ?? 0) }
        let state = optimizer["state"]?.dictionary?.count ?? 0
        return "\(groups.count) parameter groups (lr \(rates.joined(separator: ", "))), \(parameters) parameters, state for \(state)"
    }
}
