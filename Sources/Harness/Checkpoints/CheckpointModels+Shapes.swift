import Landmarks
import TorchFormat

/// Sizing an HourglassNet and a keypoint regressor from the shapes of their tensors.
///
/// Every size has several witnesses (a conv weight, its bias, the BatchNorm that follows), tried in
/// turn, so that a checkpoint missing one key is still sized and the strict load can then name that key
/// — rather than the file being reported as "no known model".
///
/// The file is untrusted: shapes are attacker-chosen, and a 1 kB file whose `layer3.0.conv1.weight`
/// claims 16 384 planes would make the network allocate terabytes. So the sizes are accepted only when
/// the model they imply holds no more than about twice the elements the file itself holds
/// (`plausible(_:present:)`); a real checkpoint, even with keys missing, passes easily.
extension CheckpointModels {
    struct InferenceFailure: Error {
        var message: String
    }

    /// Slack for `plausible`: a model may need this many elements more than twice what the file holds
    /// (small models with a large key missing).
    static let elementSlack = 1 << 20

    static func plausible(_ implied: Int, present: Int) -> Bool {
        implied <= 2 * present + elementSlack
    }

    /// The first witness present with a positive extent along `axis` divisible by `divisor`, divided.
    static func extent(_ dict: TorchStateDict, _ witnesses: [(key: String, axis: Int, divisor: Int)]) -> Int? {
        for w in witnesses {
            guard let shape = dict[w.key]?.shape, shape.count > w.axis else { continue }
            let n = shape[w.axis]
            if n > 0, n % w.divisor == 0 { return n / w.divisor }
        }
        return nil
    }

    static func elementCount(_ dict: TorchStateDict) -> Int {
        dict.entries.reduce(0) { $0 &+ $1.tensor.count }
    }

    // MARK: HourglassNet

    /// The widths of the HourglassNet whose (cleaned) state dict is `dict`:
    /// `planesConv1` from `conv1.weight` (P, 3, 7, 7), `planesBlock` from `layer2.0.conv1.weight`,
    /// `planesHG` from `layer3.0.conv1.weight`, the output channels from `output_layers.0.4.weight`
    /// (C, 2·planesHG, 1, 1), the depth from the highest `hg.0.layer{n}_1`, and the blocks per sequence
    /// from the highest block index under `hg.0.layer*_*` and `output_layers.0.0`.
    static func hourglassWidths(_ dict: TorchStateDict) -> Result<HourglassWidths, InferenceFailure> {
        let planesConv1 = extent(dict, [("conv1.weight", 0, 1), ("conv1.bias", 0, 1), ("bn1.weight", 0, 1),
                                        ("bn1.running_mean", 0, 1), ("layer1.0.bn1.weight", 0, 1), ("layer1.0.conv1.weight", 1, 1)])
        let planesBlock = extent(dict, [("layer2.0.conv1.weight", 0, 1), ("layer2.0.bn2.weight", 0, 1),
                                        ("layer2.0.conv3.weight", 0, 2), ("layer3.0.bn1.weight", 0, 2), ("layer3.0.conv1.weight", 1, 2)])
        let planesHG = extent(dict, [("layer3.0.conv1.weight", 0, 1), ("layer3.0.bn2.weight", 0, 1), ("layer3.0.conv3.weight", 0, 2),
                                     ("output_layers.0.1.weight", 0, 2), ("output_layers.0.2.weight", 0, 2)])
        let outputChannels = extent(dict, [("output_layers.0.4.weight", 0, 1), ("output_layers.0.4.bias", 0, 1)])
        var depth = 0, blocks = 0
        for key in dict.keys {
            let parts = key.split(separator: ".", omittingEmptySubsequences: false)
            if parts.count > 3, parts[0] == "hg", parts[1] == "0", parts[2].hasPrefix("layer") {
                // `layer{n}_{k}`: level n, sequence k (k = 4 only at level 1).
                let name = parts[2].dropFirst("layer".count).split(separator: "_")
                if name.count == 2, let n = Int(name[0]), name[1] == "1" { depth = max(depth, n) }
                if let i = Int(parts[3]), (0..<(1 << 20)).contains(i) { blocks = max(blocks, i + 1) }
            } else if parts.count > 3, parts[0] == "output_layers", parts[1] == "0", parts[2] == "0",
                      let i = Int(parts[3]), (0..<(1 << 20)).contains(i) {
                blocks = max(blocks, i + 1)
            }
        }
        var unsized: [String] = []
        if planesConv1 == nil { unsized.append("planes_conv1 (conv1.weight, bn1.*)") }
        if planesBlock == nil { unsized.append("planes_block (layer2.0.conv1.weight, layer2.0.bn2.weight)") }
        if planesHG == nil { unsized.append("planes_hg (layer3.0.conv1.weight, output_layers.0.1.weight)") }
        if outputChannels == nil { unsized.append("output channels (output_layers.0.4.weight/bias)") }
        if depth == 0 { unsized.append("depth (no hg.0.layer{n}_1 keys)") }
        if blocks == 0 { unsized.append("blocks per sequence (no hg.0.layer*_*.{i} or output_layers.0.0.{i} keys)") }
        guard let planesConv1, let planesBlock, let planesHG, let outputChannels, unsized.isEmpty else {
            return .failure(InferenceFailure(message: "cannot size: no witness for \(unsized.joined(separator: "; "))"))
        }
        let widths = HourglassWidths(outputChannels: outputChannels, planesConv1: planesConv1, planesBlock: planesBlock,
                                     planesHG: planesHG, depth: depth, blocksPerStack: blocks)
        do {
            try widths.validate()
        } catch {
            return .failure(InferenceFailure(message: "the inferred \(widths) is invalid: \(error)"))
        }
        let implied = hourglassElementCount(widths), present = elementCount(dict)
        guard plausible(implied, present: present) else {
            return .failure(InferenceFailure(message: "the inferred \(widths) needs \(implied) elements, the file holds only \(present)"))
        }
        return .success(widths)
    }

    /// Float elements of a HourglassNet's state dict (parameters and BatchNorm running statistics; the
    /// int64 counters excluded), computed without building the network. `validate()`d widths keep every
    /// product far below `Int.max`.
    static func hourglassElementCount(_ w: HourglassWidths) -> Int {
        func bottleneck(_ inChannels: Int, _ p: Int) -> Int {
            let batchNorms = 4 * inChannels + 4 * p + 4 * p
            let convs = (inChannels * p + p) + (9 * p * p + p) + (2 * p * p + 2 * p)
            let downsample = inChannels != 2 * p ? inChannels * 2 * p + 2 * p : 0
            return batchNorms + convs + downsample
        }
        let c1 = w.planesConv1, hg = w.planesHG, channels = 2 * hg
        let stem = 3 * 49 * c1 + c1 + 4 * c1
        let layers = bottleneck(c1, c1) + bottleneck(2 * c1, w.planesBlock) + bottleneck(2 * w.planesBlock, hg)
        let hourglass = (3 * w.depth + 1) * w.blocksPerStack * bottleneck(channels, hg)
        let head = w.blocksPerStack * bottleneck(channels, hg) + (channels * channels + channels) + 4 * channels
            + (channels * w.outputChannels + w.outputChannels)
        return stem + layers + hourglass + head
    }

    // MARK: Keypoint regressor

    /// The sizes of the regressor whose (prefix-free) state dict is `dict`: nA and nI from
    /// `reg_conv.weight` (2nA, 2nI, 1, 1), else from the `linear.{a}.weight` (2, 2nI) keys; C from
    /// `inner_conv.weight` (nA·nI, C, 1, 1), else `descriptors`, else the backbone's output channels.
    /// A C that disagrees with the backbone is still reported as found; loading rejects the pair.
    static func regressorSizes(_ dict: TorchStateDict, backboneChannels: Int?) -> Result<CheckpointModels.RegressorSizes, InferenceFailure> {
        var annotated: Int?, intermediate: Int?
        if let shape = dict["reg_conv.weight"]?.shape, shape.count == 4, shape[0] > 0, shape[1] > 0,
           shape[0] % 2 == 0, shape[1] % 2 == 0 {
            annotated = shape[0] / 2
            intermediate = shape[1] / 2
        } else {
            let linear = dict.keys.filter { key in
                let parts = key.split(separator: ".", omittingEmptySubsequences: false)
                return parts.count == 3 && parts[0] == "linear" && Int(parts[1]) != nil && parts[2] == "weight"
            }.count
            if linear > 0, let shape = dict["linear.0.weight"]?.shape, shape.count == 2, shape[0] == 2, shape[1] > 0, shape[1] % 2 == 0 {
                annotated = linear
                intermediate = shape[1] / 2
            }
        }
        guard let annotated, let intermediate else {
            return .failure(InferenceFailure(message: "no reg_conv.weight of shape (2·nA, 2·nI, 1, 1) and no linear.{a}.weight of shape (2, 2·nI)"))
        }
        let witness = [dict["inner_conv.weight"], dict["descriptors"]].compactMap { $0 }
            .first { $0.shape.count == 4 && $0.shape[1] > 0 }
        guard let channels = witness?.shape[1] ?? backboneChannels else {
            return .failure(InferenceFailure(message: "no inner_conv.weight or descriptors to read the descriptor dimension from"))
        }
        let sizes = CheckpointModels.RegressorSizes(descriptorDimension: channels, annotatedPoints: annotated, intermediatePoints: intermediate)
        // `descriptors` and `inner_conv.weight` (L·C each), `reg_conv.weight` and `linear.*` (4·nA·nI each).
        let (latent, o1) = annotated.multipliedReportingOverflow(by: intermediate)
        let (product, o2) = latent.multipliedReportingOverflow(by: channels)
        let present = elementCount(dict)
        guard !o1, !o2, product <= Int.max / 16 else {
            return .failure(InferenceFailure(message: "\(sizes) needs more elements than can be counted, the file holds only \(present)"))
        }
        let implied = 2 * product + 8 * latent
        guard plausible(implied, present: present) else {
            return .failure(InferenceFailure(message: "\(sizes) needs \(implied) elements, the file holds only \(present)"))
        }
        return .success(sizes)
    }
}
