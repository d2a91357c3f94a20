import Tensors

extension HourglassNet: DescriptorNetwork {
    public var architecture: Architecture { .hourglass }

    /// The hourglass's initialisation is PyTorch 1.1's module defaults (`model/hourglass.py` sets none
    /// of its own; `output_layer_weight_mul = 1` changes nothing):
    /// - Conv2d weight: `kaiming_uniform_(a=√5)`, i.e. U(−1/√fan_in, 1/√fan_in); bias U(−1/√fan_in,
    ///   1/√fan_in) with the same fan_in (`in_channels · k²`);
    /// - BatchNorm2d: weight U(0, 1) (PyTorch ≥ 1.2 uses 1; 1.1 trained the released model), bias 0,
    ///   running mean 0, running variance 1, `num_batches_tracked` 0.
    /// Draws come from `generator` in state_dict order; the values are not PyTorch's stream.
    public func initialize(using generator: inout SeededGenerator) {
        for item in classifiedStateEntries(of: self) ?? [] {
            switch (item.kind, item.entry) {
            case (.convWeight, .parameter(let p)), (.convBias, .parameter(let p)):
                let bound = Float(1 / Double(item.fanIn ?? 1).squareRoot())
                p.value = .uniform(shape: p.value.shape, low: -bound, high: bound, using: &generator)
            case (.bnWeight, .parameter(let p)):
                p.value = .uniform(shape: p.value.shape, low: 0, high: 1, using: &generator)
            case (.bnBias, .parameter(let p)):
                p.value = Tensor(shape: p.value.shape)
            case (.bnRunningMean, .buffer(let b)):
                b.value = Tensor(shape: b.value.shape)
            case (.bnRunningVar, .buffer(let b)):
                b.value = Tensor(shape: b.value.shape, repeating: 1)
            case (.bnNumBatchesTracked, .counter(let c)):
                c.value = 0
            default:
                preconditionFailure("state entry \(item.key) of kind \(item.kind) has an unexpected storage type")
            }
        }
        zeroGrad()
    }
}

/// The deterministic "formula weights" of the golden `hourglass.h5` (golden README §4): every
/// state_dict entry is a pure function of (entry index k, element index i, seed s, kind, fan-in), so a
/// 12.6M-parameter reference needs no stored weights.
///
/// With all integer arithmetic wrapping modulo 2^32:
///
///     x = i·0x9E3779B1 + k·0x85EBCA77 + s·0xC2B2AE3D + 0x27D4EB2F
///     x ^= x >> 16;  x = x·0x85EBCA6B;  x ^= x >> 13;  x = x·0xC2B2AE35;  x ^= x >> 16
///     u = (Double(x) + 0.5) / 2^32        r = 2u − 1
///
/// and the value, computed in Float64 and rounded once to the nearest Float32, is by kind:
/// conv_weight `r·√3/√fan_in` (left to right), conv_bias `0.05·r`, bn_weight `1 + 0.2·r`,
/// bn_bias `0.1·r`, bn_running_mean `0.1·r`, bn_running_var `0.75 + 0.5·u`, bn_num_batches_tracked 0.
/// k counts every entry, `num_batches_tracked` included; i is the row-major element index.
/// The result is bit-exact in any language with these operations, which is what lets a verifier
/// compare `state_dict_first4` exactly.
public enum FormulaWeights {
    /// The mixed 32-bit hash of (i, k, s). A negative or wide seed enters modulo 2^32.
    @inlinable
    public static func hash(element i: Int, entry k: Int, seed s: Int64) -> UInt32 {
        var x = UInt32(truncatingIfNeeded: i) &* 0x9E37_79B1
        x = x &+ UInt32(truncatingIfNeeded: k) &* 0x85EB_CA77
        x = x &+ UInt32(truncatingIfNeeded: s) &* 0xC2B2_AE3D
        x = x &+ 0x27D4_EB2F
        x ^= x >> 16
        x = x &* 0x85EB_CA6B
        x ^= x >> 13
        x = x &* 0xC2B2_AE35
        x ^= x >> 16
        return x
    }

    /// The Float64 value before rounding to Float32. `fanIn` is read only for `.convWeight`.
    @inlinable
    public static func value(kind: StateKind, element i: Int, entry k: Int, seed s: Int64, fanIn: Int) -> Double {
        let u = (Double(hash(element: i, entry: k, seed: s)) + 0.5) / 4_294_967_296.0
        let r = 2.0 * u - 1.0
        switch kind {
        case .convWeight: return r * (3.0 as Double).squareRoot() / Double(fanIn).squareRoot()
        case .convBias: return 0.05 * r
        case .bnWeight: return 1.0 + 0.2 * r
        case .bnBias: return 0.1 * r
        case .bnRunningMean: return 0.1 * r
        case .bnRunningVar: return 0.75 + 0.5 * u
        case .bnNumBatchesTracked: return 0
        }
    }

    /// Overwrites every state entry of `model` with the formula values for `seed`, returning the
    /// classified entries (key, kind, fan-in) in state_dict order. Throws when an entry is neither a
    /// conv nor a BatchNorm entry, because the formula has no rule for it.
    @discardableResult
    public static func apply(to model: any Layer, seed: Int64) throws(FormulaWeightsError) -> [ClassifiedStateEntry] {
        guard let entries = classifiedStateEntries(of: model) else { throw .unclassifiedEntries }
        for (k, item) in entries.enumerated() {
            let kind = item.kind, fanIn = item.fanIn ?? 1
            func fill(_ tensor: inout Tensor) {
                tensor.withUnsafeMutableBufferPointer { buffer in
                    for i in 0..<buffer.count {
                        buffer[i] = Float(value(kind: kind, element: i, entry: k, seed: seed, fanIn: fanIn))
                    }
                }
            }
            switch item.entry {
            case .parameter(let p): fill(&p.value); p.zeroGrad()
            case .buffer(let b): fill(&b.value)
            case .counter(let c): c.value = 0
            }
        }
        return entries
    }
}

public enum FormulaWeightsError: Error, CustomStringConvertible, Sendable {
    case unclassifiedEntries
    public var description: String {
        "the model has state entries that are neither Conv2d nor BatchNorm2d entries; the formula weights define no value for them"
    }
}
