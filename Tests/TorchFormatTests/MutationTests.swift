import Foundation
import Testing
@testable import TorchFormat

/// Property tests standing in for fuzzing in `make test` (the libFuzzer harness is `Fuzz/run.sh`):
/// damaged versions of the golden files must decode or throw `TorchFormatError` — a trap, an
/// out-of-bounds access or a runaway allocation would end the test process.
///
/// - proper prefixes of each zoo file (truncation) must be errors;
/// - single-bit flips of each zoo file must decode or be refused;
/// - seeded random mutations (bit flips, interesting bytes, truncations, splices from another file,
///   insertions, deletions, large length fields) of all four files, aimed mostly at the pickle and the
///   zip directory, where the structure is.
///
/// A debug build reads a zoo file in ~3 ms, so by default the truncations and flips are sampled
/// (about 1 200 per file, always including the first and last 256 bytes) and the big files get fewer
/// random mutants. `TORCHFORMAT_EXHAUSTIVE=1` tries every truncation and every bit;
/// `TORCHFORMAT_MUTATIONS=n` sets the random mutants per file.
@Suite struct MutationTests {
    static let environment = ProcessInfo.processInfo.environment
    static let exhaustive = environment["TORCHFORMAT_EXHAUSTIVE"] == "1"

    static func iterations(for size: Int) -> Int {
        environment["TORCHFORMAT_MUTATIONS"].flatMap(Int.init) ?? (size > 100_000 ? 30 : 300)
    }

    /// The positions tried out of `count`: all of them when exhaustive, otherwise the edges plus an
    /// even sample.
    static func sample(_ count: Int) -> [Int] {
        guard !exhaustive, count > 1_200 else { return Array(0..<count) }
        let step = count / 700
        let edges = Set(Array(0..<min(256, count)) + Array(max(0, count - 256)..<count))
        return edges.union(Swift.stride(from: 0, to: count, by: step)).sorted()
    }

    /// Decodes as a user would consume the result; returns whether it was accepted.
    @discardableResult
    static func exercise(_ bytes: [UInt8]) -> Bool {
        do {
            let file = try TorchFile.read(data: Data(bytes), source: "mutant")
            _ = file.object.pythonJSON(maxLength: 1 << 14)
            if let checkpoint = try? TorchCheckpoint(file) {
                _ = checkpoint.stateDict.split()
                _ = checkpoint.stateDict.stateDict()
                _ = checkpoint.summary
            }
            return true
        } catch {
            #expect(error.source == "mutant")
            return false
        }
    }

    @Test(arguments: ["zoo-legacy.pth", "zoo-zip.pth"])
    func everyTruncationIsAnError(_ name: String) throws {
        let bytes = [UInt8](try CheckpointFixtures.data(name))
        var accepted: [Int] = []
        let lengths = Self.sample(bytes.count)
        for length in lengths where Self.exercise(Array(bytes[..<length])) { accepted.append(length) }
        #expect(accepted.isEmpty, "prefixes accepted: \(accepted.prefix(10))")
        print("[mutation] \(name): \(lengths.count) truncations, all refused")
    }

    @Test(arguments: ["zoo-legacy.pth", "zoo-zip.pth"])
    func everySingleBitFlipIsReadOrRefused(_ name: String) throws {
        let bytes = [UInt8](try CheckpointFixtures.data(name))
        var accepted = 0
        let bits = Self.sample(bytes.count * 8)
        for bit in bits {
            var mutant = bytes
            mutant[bit / 8] ^= 1 << UInt8(bit % 8)
            if Self.exercise(mutant) { accepted += 1 }
        }
        print("[mutation] \(name): \(bits.count) single-bit flips, \(accepted) still decode, \(bits.count - accepted) refused")
    }

    @Test(arguments: CheckpointFixtures.pthFiles)
    func randomMutationsNeverCrash(_ name: String) throws {
        let original = [UInt8](try CheckpointFixtures.data(name))
        let donors = try CheckpointFixtures.pthFiles.map { [UInt8](try CheckpointFixtures.data($0)) }
        var rng = SplitMix64(seed: UInt64(truncatingIfNeeded: name.utf8.reduce(5381) { $0 &* 33 &+ Int($1) }))
        var accepted = 0
        let iterations = Self.iterations(for: original.count)
        for _ in 0..<iterations {
            var mutant = original
            for _ in 0..<(1 + Int(rng.next() % 4)) { Self.mutate(&mutant, donors: donors, rng: &rng) }
            if Self.exercise(mutant) { accepted += 1 }
        }
        print("[mutation] \(name): \(iterations) random mutants, \(accepted) still decode")
    }

    /// A position biased towards where the structure is: the first 16 KiB (header and pickle of a
    /// legacy file, the first entries of a zip) and the last 8 KiB (the zip directory).
    static func position(in count: Int, _ rng: inout SplitMix64) -> Int {
        guard count > 0 else { return 0 }
        switch rng.next() % 10 {
        case 0..<5: return Int(rng.next() % UInt64(min(count, 16_384)))
        case 5..<8: return count - 1 - Int(rng.next() % UInt64(min(count, 8_192)))
        default: return Int(rng.next() % UInt64(count))
        }
    }

    static func mutate(_ bytes: inout [UInt8], donors: [[UInt8]], rng: inout SplitMix64) {
        guard !bytes.isEmpty else { return }
        let at = position(in: bytes.count, &rng)
        let interesting: [UInt8] = [0, 1, 0x7F, 0x80, 0xFF, 0x2E, 0x28, 0x71, 0x68, 0x52, 0x81, 0x62, 0x51]
        switch rng.next() % 7 {
        case 0: bytes[at] ^= 1 << UInt8(rng.next() % 8)
        case 1: bytes[at] = interesting[Int(rng.next() % UInt64(interesting.count))]
        case 2: bytes.removeSubrange(at...)
        case 3:
            let donor = donors[Int(rng.next() % UInt64(donors.count))]
            let length = 1 + Int(rng.next() % 64)
            let from = position(in: max(donor.count - length, 1), &rng)
            let chunk = donor[from..<min(from + length, donor.count)]
            let end = min(at + chunk.count, bytes.count)
            bytes.replaceSubrange(at..<end, with: chunk.prefix(end - at))
        case 4: bytes.insert(contentsOf: (0..<(1 + rng.next() % 16)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: at)
        case 5: bytes.removeSubrange(at..<min(at + 1 + Int(rng.next() % 64), bytes.count))
        default:
            // Overwrite a 4-byte little-endian length or count with a large value.
            let values: [UInt32] = [0xFFFF_FFFF, 0x7FFF_FFFF, 0x8000_0000, 0x0001_0000, UInt32(bytes.count)]
            let v = values[Int(rng.next() % UInt64(values.count))]
            for i in 0..<4 where at + i < bytes.count { bytes[at + i] = UInt8((v >> (8 * UInt32(i))) & 0xFF) }
        }
    }
}
