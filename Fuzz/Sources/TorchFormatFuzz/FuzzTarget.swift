import Foundation
import TorchFormat

/// Called by libFuzzer for each input (see main.swift): every input must either decode or throw `TorchFormatError`; anything else
/// (a trap, an out-of-bounds access caught by AddressSanitizer, a leak, a hang) is a finding.
/// Successful decodes are also pushed through the consumers a user would run (state dict conversion,
/// rendering), since those walk whatever the reader accepted.
func torchFormatFuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let data = Data(bytes: start, count: count)
    var limits = TorchReadLimits()
    limits.maxExpandedNodes = 200_000
    guard let file = try? TorchFile.read(data: data, source: "fuzz", limits: limits) else { return 0 }
    _ = file.object.pythonJSON(maxLength: 1 << 16)
    _ = file.object.pythonRepr(maxLength: 1 << 16)
    if let checkpoint = try? TorchCheckpoint(file) {
        _ = checkpoint.stateDict.split()
        _ = checkpoint.stateDict.stateDict()
        _ = checkpoint.summary
        for entry in checkpoint.stateDict.entries { _ = entry.tensor.contiguousBytes() }
    }
    return 0
}
