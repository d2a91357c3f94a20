import Foundation
import Testing
@testable import ImageIO

/// A fresh directory under the system temp dir, removed on deinit.
final class TempDir {
    let path: String

    init() throws {
        let base = FileManager.default.temporaryDirectory.path
        path = "\(base)/ImageIOTests-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { "\(path)/\(name)" }

    func write(_ bytes: [UInt8], to name: String) throws -> String {
        let target = file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: target))
        return target
    }

    func contents() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).sorted()
    }
}

/// Deterministic xorshift64* so fixtures are identical on every run.
struct TestRNG {
    var state: UInt64
    init(seed: UInt64) { state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed }
    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }
    mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next() >> 32) }
    mutating func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in byte() } }
}

enum Fixtures {
    /// Smooth diagonal gradients: the kind of content JPEG reproduces closely.
    static func gradient(width: Int, height: Int) -> RGBImage {
        var image = RGBImage(width: width, height: height)
        for y in 0..<height {
            for x in 0..<width {
                image[x: x, y: y] = (
                    UInt8(x * 255 / max(1, width - 1)),
                    UInt8(y * 255 / max(1, height - 1)),
                    UInt8((x + y) * 255 / max(1, width + height - 2))
                )
            }
        }
        return image
    }

    /// Uniform noise: worst case for both codecs, exact round trip for PNG.
    static func noise(width: Int, height: Int, seed: UInt64 = 1) -> RGBImage {
        var rng = TestRNG(seed: seed)
        return RGBImage(width: width, height: height, pixels: rng.bytes(width * height * 3))
    }

    static func jpeg(width: Int = 64, height: Int = 48, quality: Int = 90) throws -> [UInt8] {
        try ImageCodec.encodeJPEG(gradient(width: width, height: height), quality: quality, subsampling: .s420)
    }

    static func png(width: Int = 64, height: Int = 48) throws -> [UInt8] {
        try ImageCodec.encodePNG(noise(width: width, height: height))
    }
}

/// Runs `body`, which must throw; returns the typed error (records an issue otherwise).
func capture<T>(
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws(ImageIOError) -> T
) -> ImageIOError? {
    do {
        _ = try body()
        Issue.record("expected an ImageIOError, but the call succeeded", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

/// Largest absolute per-sample difference between two equally sized images.
func maxAbsDiff(_ a: RGBImage, _ b: RGBImage) -> Int {
    precondition(a.pixels.count == b.pixels.count)
    return zip(a.pixels, b.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
}

/// Standard CRC-32 (as used by PNG chunks), for forging headers in tests.
func crc32(_ bytes: some Sequence<UInt8>) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
}
