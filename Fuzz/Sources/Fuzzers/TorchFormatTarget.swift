import Foundation
import TorchFormat

extension FuzzTarget {
    /// The restricted unpickler and both container formats (legacy tar-less pickle stream and zip).
    /// Accepted files are also pushed through what a user's run does next (state dict conversion,
    /// rendering), since those walk whatever the reader accepted.
    static let pth = FuzzTarget(
        name: "pth",
        prepare: {},
        run: { input in
            let data = Data(buffer: input)
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
        },
        // The two small zoo files (legacy and zip, ≤ 64 KiB); the SmallNet checkpoints are 1–5 MB and
        // slow libFuzzer to tens of executions a second.
        seeds: {
            try FuzzRepository.files(in: "Tests/Fixtures/golden/checkpoints", extension: "pth")
                .filter { $0.lastPathComponent.hasPrefix("zoo-") }
                .map { ($0.lastPathComponent, try FuzzRepository.bytes($0)) }
        })
}
