import Foundation
import ImageIO

extension FuzzTarget {
    /// JPEG (libjpeg-turbo) and PNG (libpng) decoding through ImageIO, the way every dataset image is
    /// read. The input's last byte picks the JPEG warning policy, so both Pillow's tolerant mode (what
    /// the loaders use) and the strict audit mode are covered.
    static let image = FuzzTarget(
        name: "image",
        prepare: {},
        run: { input in
            guard !input.isEmpty else { return 0 }
            let policy: JPEGWarningPolicy = input[input.count - 1] & 1 == 0 ? .tolerateRecoverable : .reject
            guard let decoded = try? ImageCodec.decode(Array(input), source: "fuzz", jpegWarnings: policy) else { return 0 }
            // The loaders' next step reads every pixel; a decoder that reported a size its buffer does
            // not hold would surface here under AddressSanitizer.
            precondition(decoded.pixels.count == decoded.width * decoded.height * 3, "decoded buffer size")
            _ = decoded.pixels.reduce(0) { $0 &+ Int($1) }
            return 0
        },
        seeds: {
            // Small images the library's own encoders wrote, in every layout the decoders branch on,
            // plus the Pillow fixtures under 12 KB (written by another encoder).
            var seeds: [(String, [UInt8])] = []
            for (width, height) in [(1, 1), (8, 8), (17, 13), (40, 24)] {
                let pixels = (0..<(width * height * 3)).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ $0 / 5) }
                let image = RGBImage(width: width, height: height, pixels: pixels)
                for subsampling in [JPEGChromaSubsampling.s444, .s420] {
                    for quality in [30, 95] {
                        seeds.append(("q\(quality)-\(subsampling)-\(width)x\(height).jpg",
                                      try ImageCodec.encodeJPEG(image, quality: quality, subsampling: subsampling)))
                    }
                }
                seeds.append(("\(width)x\(height).png", try ImageCodec.encodePNG(image)))
            }
            let fixtures = try FuzzRepository.files(in: "Tests/Fixtures/pillow", extension: "png")
                + FuzzRepository.files(in: "Tests/Fixtures/pillow", extension: "jpg")
            for url in fixtures {
                let bytes = try FuzzRepository.bytes(url)
                if bytes.count <= 12_000 { seeds.append((url.lastPathComponent, bytes)) }
            }
            return seeds
        })
}
