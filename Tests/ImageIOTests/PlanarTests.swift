import Testing
@testable import ImageIO

@Suite("CHW float conversion (torchvision ToTensor and back)")
struct PlanarTests {
    @Test func planarLayoutAndValues() {
        var image = RGBImage(width: 2, height: 1)
        image[x: 0, y: 0] = (0, 51, 255)
        image[x: 1, y: 0] = (1, 2, 3)
        let floats = image.planarFloats()
        // R plane, G plane, B plane; each value divided by 255 in Float32.
        #expect(floats == [0, 1, 51, 2, 255, 3].map { Float($0) / 255 })
        #expect(floats[4] == 1)
    }

    @Test func roundingRoundTripsEveryValue() {
        let all = (0..<256).map(UInt8.init)
        let image = RGBImage(width: 256, height: 1, pixels: all.flatMap { [$0, 255 - $0, $0 / 2] })
        let floats = image.planarFloats()
        #expect(RGBImage(planarRounding: floats, width: 256, height: 1) == image)
    }

    /// `x * 255` truncated toward zero, like `tensor.mul(255).byte()`; values
    /// just below an integer drop to the integer below.
    @Test func truncatingVersusRounding() {
        let xs: [Float] = [-0.1, 0, 0.4 / 255, 0.6 / 255, 0.99999, 1.5, .nan, 254.9 / 255, 1]
        let width = xs.count
        let planar = xs + xs + xs
        let truncated = RGBImage(planarTruncating: planar, width: width, height: 1)
        let rounded = RGBImage(planarRounding: planar, width: width, height: 1)
        let red = { (image: RGBImage) in (0..<width).map { image[x: $0, y: 0].r } }
        #expect(red(truncated) == [0, 0, 0, 0, 254, 255, 0, 254, 255])
        #expect(red(rounded) == [0, 0, 0, 1, 255, 255, 0, 255, 255])
    }

    @Test func truncationMatchesTorchForEveryValue() {
        // Float(v)/255*255 is not always exactly v in Float32; truncation must
        // then give v-1, exactly as PyTorch does. Recompute the rule directly.
        let all = (0..<256).map(UInt8.init)
        let image = RGBImage(width: 256, height: 1, pixels: all.flatMap { [$0, $0, $0] })
        let truncated = RGBImage(planarTruncating: image.planarFloats(), width: 256, height: 1)
        for v in 0..<256 {
            let expected = UInt8((Float(v) / 255 * 255).rounded(.towardZero))
            #expect(truncated[x: v, y: 0].r == expected)
        }
    }

    @Test func fillAndSubscript() {
        var image = RGBImage(width: 3, height: 2, fill: (9, 8, 7))
        #expect(image.pixels == [UInt8](repeating: 0, count: 6).flatMap { _ in [9, 8, 7] as [UInt8] })
        image[x: 2, y: 1] = (1, 2, 3)
        #expect(image[x: 2, y: 1] == (1, 2, 3))
        #expect(image.pixels.suffix(3) == [1, 2, 3])
    }
}
