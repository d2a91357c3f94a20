import HDF5
import Landmarks
import Tensors

/// `hourglass.h5` (golden README §4): a `HourglassNet` whose weights are the README's formula
/// weights, so the file stores only their checksums.
///
/// Checks, in the order a bug would show up:
/// 1. the state_dict layout — keys, kinds, ranks and shapes equal those of the network built here,
///    and the parameter count;
/// 2. the weights rebuilt from the formula alone (`FormulaWeights`, seed `formula_seed`): every entry's
///    first four values bit-exact, and its Float64 sum of Float32 values within rel(1e-9);
/// 3. the eval-mode forward of `x`: `output`, then the per-stage summaries under `debug/` (channel
///    means and the top-left 4×4 patch), scaled(1e-4) as README §2 prescribes.
///
/// Nothing is hard-coded: the widths (output channels, planes, depth, blocks per sequence) are read
/// from the stored shapes, the input from `x`, the seed from the root attribute, so a set regenerated
/// with other sizes or another seed verifies the same way.
enum HourglassGolden {
    static let output = Tolerance.scaled(1e-4)
    static let weightSum = Tolerance.relative(1e-9)

    /// The stored state_dict description.
    private struct Layout {
        var keys: [String]
        var kinds: [String]
        var ndim: [Int64]
        var shapes: [[Int64]]      // rows of `state_dict_shape`, -1 padded
        var first4: [Float]        // row-major (entries × 4), NaN padded
        var sums: [Double]
    }

    static func verify(_ file: HDF5File, _ fileName: String) -> [GoldenCheck] {
        let root = file.root
        let layout: Layout
        let seed: Int64
        do {
            layout = try readLayout(root)
            guard let s = try root.attribute("formula_seed").intValue else {
                return [GoldenCheck(file: fileName, name: "formula_seed", outcome: .fail, detail: "not an integer attribute")]
            }
            seed = s
        } catch {
            return [.failure(file: fileName, name: "state_dict", error)]
        }
        let widths: HourglassWidths
        let net: HourglassNet
        do {
            widths = try inferWidths(layout)
            net = try HourglassNet(widths: widths)
        } catch {
            return [.failure(file: fileName, name: "state_dict (widths)", error)]
        }

        var checks: [GoldenCheck] = []
        let ours = net.stateEntries
        checks.append(.equality(file: fileName, name: "state_dict_keys", got: ours.map(\.key), expected: layout.keys))
        checks.append(.equality(file: fileName, name: "state_dict_shape+ndim",
                                got: ours.map { paddedShape($0.entry.shape, width: layout.shapes.first?.count ?? 4) + [Int64($0.entry.shape.count)] },
                                expected: zip(layout.shapes, layout.ndim).map { $0 + [$1] }))
        do {
            let stored = try root.attribute("num_parameters").intValue ?? -1
            checks.append(.equality(file: fileName, name: "num_parameters", got: Int64(net.parameterCount), expected: stored))
        } catch {
            checks.append(.failure(file: fileName, name: "num_parameters", error))
        }

        let classified: [ClassifiedStateEntry]
        do {
            classified = try FormulaWeights.apply(to: net, seed: seed)
        } catch {
            checks.append(.failure(file: fileName, name: "formula weights", error))
            return checks
        }
        checks.append(.equality(file: fileName, name: "state_dict_kinds", got: classified.map(\.kind.rawValue), expected: layout.kinds))
        checks += weightChecks(classified, layout, fileName: fileName)
        checks += forwardChecks(net, root, fileName: fileName)
        return checks
    }

    private static func readLayout(_ root: HDF5Group) throws(HDF5Error) -> Layout {
        let keys = try root.dataset("state_dict_keys").readStrings()
        let shapeSet = try root.dataset("state_dict_shape")
        let flatShapes = try shapeSet.readInt64()
        let width = shapeSet.shape.count == 2 ? shapeSet.shape[1] : 0
        let shapes = width > 0 ? stride(from: 0, to: flatShapes.count, by: width).map { Array(flatShapes[$0..<($0 + width)]) } : []
        return Layout(keys: keys, kinds: try root.dataset("state_dict_kinds").readStrings(),
                      ndim: try root.dataset("state_dict_ndim").readInt64(), shapes: shapes,
                      first4: try root.dataset("state_dict_first4").readFloat32(),
                      sums: try root.dataset("state_dict_sum").readFloat64())
    }

    private static func paddedShape(_ shape: [Int], width: Int) -> [Int64] {
        shape.map(Int64.init) + [Int64](repeating: -1, count: max(0, width - shape.count))
    }

    /// Reads the widths off the stored shapes; building the net and comparing every key and shape
    /// afterwards confirms (or refutes) the reading.
    private static func inferWidths(_ layout: Layout) throws(WidthError) -> HourglassWidths {
        func rows(_ key: String) throws(WidthError) -> Int {
            guard let i = layout.keys.firstIndex(of: key), i < layout.shapes.count, let first = layout.shapes[i].first, first > 0
            else { throw WidthError(missing: key) }
            return Int(first)
        }
        let hgKeys = layout.keys.filter { $0.hasPrefix("hg.0.layer") }
        let depth = hgKeys.compactMap { Int($0.dropFirst("hg.0.layer".count).prefix { $0.isNumber }) }.max() ?? 0
        let firstStack = "hg.0.layer\(depth)_1."
        let blocks = Set(layout.keys.filter { $0.hasPrefix(firstStack) }.compactMap { $0.dropFirst(firstStack.count).split(separator: ".").first }).count
        return HourglassWidths(outputChannels: try rows("output_layers.0.4.weight"), planesConv1: try rows("conv1.weight"),
                               planesBlock: try rows("layer2.0.conv1.weight"), planesHG: try rows("layer3.0.conv1.weight"),
                               depth: max(depth, 1), blocksPerStack: max(blocks, 1))
    }

    struct WidthError: Error, CustomStringConvertible {
        var missing: String
        var description: String { "cannot read the network's widths: no usable shape for \(missing)" }
    }

    /// `state_dict_first4` (exact, NaN-padded; a counter as a float) and `state_dict_sum` (Float64 sum
    /// of the Float32 values, rel(1e-9)), one line each over all entries, naming the first bad key.
    private static func weightChecks(_ entries: [ClassifiedStateEntry], _ layout: Layout, fileName: String) -> [GoldenCheck] {
        var first4: [Float] = []
        var sums: [Double] = []
        for item in entries {
            let values: [Float]
            switch item.entry {
            case .parameter(let p): values = Array(p.value.storage)
            case .buffer(let b): values = Array(b.value.storage)
            case .counter(let c): values = [Float(c.value)]
            }
            first4 += Array(values.prefix(4)) + [Float](repeating: .nan, count: max(0, 4 - values.count))
            sums.append(values.reduce(0.0) { $0 + Double($1) })
        }
        func firstBadKey(_ bad: (Int) -> Bool) -> String {
            guard let i = entries.indices.first(where: bad) else { return "" }
            return "first mismatch at \(entries[i].key)"
        }
        let exact = Tolerance.exact.compare(first4, layout.first4)
        let firstDetail = exact.passed ? "\(entries.count) entries" : firstBadKey { i in
            i * 4 + 4 > layout.first4.count || !(0..<4).allSatisfy { j in
                let a = first4[i * 4 + j], b = layout.first4[i * 4 + j]
                return (a.isNaN && b.isNaN) || a.bitPattern == b.bitPattern
            }
        }
        let sum = weightSum.compare(sums, layout.sums)
        let sumDetail = sum.passed ? "\(entries.count) entries" : firstBadKey { i in
            i >= layout.sums.count || abs(sums[i] - layout.sums[i]) > 1e-9 * abs(layout.sums[i])
        }
        return [GoldenCheck(file: fileName, name: "state_dict_first4", comparison: exact, detail: firstDetail),
                GoldenCheck(file: fileName, name: "state_dict_sum", comparison: sum, detail: sumDetail)]
    }

    /// The eval forward of `x` against `output` and the `debug/<stage>` summaries.
    private static func forwardChecks(_ net: HourglassNet, _ root: HDF5Group, fileName: String) -> [GoldenCheck] {
        var checks: [GoldenCheck] = []
        let x: Tensor
        do {
            x = try root.dataset("x").readTensor()
            try net.validateInput(shape: x.shape)
        } catch {
            return [.failure(file: fileName, name: "x", error)]
        }
        var stages: [String: Tensor] = [:]
        net.inferenceChunk = max(1, x.shape[0])
        let y = net.forward(x, training: false) { stages[$0] = $1 }
        do {
            let ref = try root.dataset("output").readTensor()
            checks.append(ref.shape == y.shape
                ? GoldenCheck(file: fileName, name: "output", comparison: output.compare(y.storage, ref.storage))
                : GoldenCheck(file: fileName, name: "output", outcome: .fail, detail: "shape \(y.shape) computed, reference has \(ref.shape)"))
        } catch {
            checks.append(.failure(file: fileName, name: "output", error))
        }
        guard root.contains("debug") else { return checks }
        do {
            let debug = try root.group("debug")
            for stage in try debug.groupNames() {
                let name = "debug/\(stage)"
                guard let t = stages[stage] else {
                    checks.append(GoldenCheck(file: fileName, name: name, outcome: .fail, detail: "no stage named \(stage)"))
                    continue
                }
                let group = try debug.group(stage)
                if try group.hasAttribute("shape") {
                    checks.append(.equality(file: fileName, name: "\(name)/shape", got: t.shape.map(Int64.init),
                                            expected: try group.attribute("shape").int64Array ?? []))
                }
                for (dataset, got) in [("channel_mean", channelMeans(t)), ("patch4", topLeftPatch(t, side: 4))] {
                    let ref = try group.dataset(dataset).readTensor()
                    checks.append(ref.shape == got.shape
                        ? GoldenCheck(file: fileName, name: "\(name)/\(dataset)", comparison: output.compare(got.storage, ref.storage))
                        : GoldenCheck(file: fileName, name: "\(name)/\(dataset)", outcome: .fail,
                                      detail: "shape \(got.shape) computed, reference has \(ref.shape)"))
                }
            }
        } catch {
            checks.append(.failure(file: fileName, name: "debug", error))
        }
        return checks
    }

    /// (N, C) means over H·W, summed in Float64.
    static func channelMeans(_ t: Tensor) -> Tensor {
        let (n, c, h, w) = t.nchw
        let plane = h * w
        var means = [Float](repeating: 0, count: n * c)
        for p in 0..<(n * c) {
            var s = 0.0
            for i in 0..<plane { s += Double(t.storage[p * plane + i]) }
            means[p] = Float(s / Double(plane))
        }
        return Tensor(shape: [n, c], storage: means)
    }

    /// `t[:, :, :side, :side]` (smaller when the map is).
    static func topLeftPatch(_ t: Tensor, side: Int) -> Tensor {
        let (n, c, h, w) = t.nchw
        let ph = min(side, h), pw = min(side, w)
        var values: [Float] = []
        values.reserveCapacity(n * c * ph * pw)
        for p in 0..<(n * c) {
            for y in 0..<ph { values += t.storage[(p * h + y) * w ..< (p * h + y) * w + pw] }
        }
        return Tensor(shape: [n, c, ph, pw], storage: values)
    }
}
