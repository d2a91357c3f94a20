import Testing
@testable import ImageIO

@Suite("Encode → decode round trips")
struct RoundTripTests {
    @Test func pngIsExact() throws {
        let image = Fixtures.noise(width: 37, height: 23)
        let bytes = try ImageCodec.encodePNG(image)
        #expect(ImageFormat.detect(bytes) == .png)
        #expect(try ImageCodec.decode(bytes) == image)
    }

    @Test func pngOnePixel() throws {
        let image = RGBImage(width: 1, height: 1, fill: (1, 2, 3))
        #expect(try ImageCodec.decode(ImageCodec.encodePNG(image)) == image)
    }

    @Test func jpegQuality100IsClose() throws {
        let image = Fixtures.gradient(width: 64, height: 48)
        let bytes = try ImageCodec.encodeJPEG(image, quality: 100)
        #expect(ImageFormat.detect(bytes) == .jpeg)
        let decoded = try ImageCodec.decode(bytes)
        #expect(decoded.width == 64 && decoded.height == 48)
        // YCbCr rounding, even at 4:4:4 q100, moves a few samples by up to 4.
        #expect(maxAbsDiff(decoded, image) <= 4)
        let meanError = zip(decoded.pixels, image.pixels).map { abs(Double($0) - Double($1)) }.reduce(0, +)
            / Double(image.pixels.count)
        #expect(meanError < 1)
    }

    @Test(arguments: [JPEGChromaSubsampling.s444, .s422, .s420])
    func jpegOddSizes(subsampling: JPEGChromaSubsampling) throws {
        let image = Fixtures.gradient(width: 33, height: 17)
        let decoded = try ImageCodec.decode(ImageCodec.encodeJPEG(image, quality: 90, subsampling: subsampling))
        #expect(decoded.width == 33 && decoded.height == 17)
        #expect(decoded.pixels.count == 33 * 17 * 3)
        #expect(maxAbsDiff(decoded, image) <= 12)
    }

    @Test func grayscaleJPEGExpandsToRGB() throws {
        let (w, h) = (40, 30)
        let luma = (0..<(w * h)).map { UInt8(($0 % w) * 255 / (w - 1)) }
        let bytes = try ImageCodec.encodeGrayscaleJPEG(luma, width: w, height: h, quality: 100)
        let decoded = try ImageCodec.decode(bytes)
        #expect(decoded.width == w && decoded.height == h)
        for y in 0..<h {
            for x in 0..<w {
                let p = decoded[x: x, y: y]
                #expect(p.r == p.g && p.g == p.b)
                #expect(abs(Int(p.r) - Int(luma[y * w + x])) <= 2)
            }
        }
    }

    @Test func grayscalePNGExpandsExactly() throws {
        let (w, h) = (9, 7)
        var rng = TestRNG(seed: 7)
        let luma = rng.bytes(w * h)
        let decoded = try ImageCodec.decode(ImageCodec.encodePNG(samples: luma, width: w, height: h, layout: .gray))
        let expected = RGBImage(width: w, height: h, pixels: luma.flatMap { [$0, $0, $0] })
        #expect(decoded == expected)
    }

    /// Alpha is dropped and the stored colour kept, even where alpha is 0 —
    /// as Pillow's `convert("RGB")`; nothing is composited.
    @Test func rgbaPNGDropsAlpha() throws {
        let rgba: [UInt8] = [255, 0, 0, 255, 0, 255, 0, 0, 10, 20, 30, 128, 200, 100, 50, 1]
        let bytes = try ImageCodec.encodePNG(samples: rgba, width: 2, height: 2, layout: .rgba)
        let decoded = try ImageCodec.decode(bytes)
        #expect(decoded.pixels == [255, 0, 0, 0, 255, 0, 10, 20, 30, 200, 100, 50])
    }

    @Test func grayAlphaPNGDropsAlpha() throws {
        let ga: [UInt8] = [0, 255, 77, 0, 200, 10]
        let decoded = try ImageCodec.decode(ImageCodec.encodePNG(samples: ga, width: 3, height: 1, layout: .grayAlpha))
        #expect(decoded.pixels == [0, 0, 0, 77, 77, 77, 200, 200, 200])
    }

    /// CMYK JPEGs are converted like Pillow: inverted CMYK, then
    /// `R = K' - K'·C'/255` with Pillow's rounding.
    @Test func cmykJPEGConvertsLikePillow() throws {
        let (w, h) = (16, 16)
        // Flat colour, so the lossy round trip is within a code value or two.
        let cmyk = [UInt8](repeating: 0, count: w * h * 4).enumerated().map { i, _ in
            [UInt8(200), 60, 255, 180][i % 4]
        }
        let bytes = try ImageCodec.encodeCMYKJPEG(cmyk, width: w, height: h, quality: 100)
        let decoded = try ImageCodec.decode(bytes)
        // raw (200, 60, 255, 180): C' = 55, M' = 195, Y' = 0, K' -> nk = 180
        let expected = ColorConversion.pillowCMYKToRGB([200, 60, 255, 180])
        #expect(expected == [141, 42, 180])
        for y in 0..<h {
            for x in 0..<w {
                let p = decoded[x: x, y: y]
                #expect(abs(Int(p.r) - 141) <= 2 && abs(Int(p.g) - 42) <= 2 && abs(Int(p.b) - 180) <= 2)
            }
        }
    }

    @Test func formatDetection() {
        #expect(ImageFormat.detect([0xFF, 0xD8, 0xFF, 0xE0]) == .jpeg)
        #expect(ImageFormat.detect([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) == .png)
        #expect(ImageFormat.detect([0x89, 0x50, 0x4E, 0x47]) == nil)
        #expect(ImageFormat.detect([UInt8]()) == nil)
        #expect(ImageFormat.detect(Array("GIF89a".utf8)) == nil)
        #expect(ImageFormat.fromPathExtension("/a/b.JPG") == .jpeg)
        #expect(ImageFormat.fromPathExtension("x.jpeg") == .jpeg)
        #expect(ImageFormat.fromPathExtension("dir.png/x") == nil)
        #expect(ImageFormat.fromPathExtension(".png") == nil)
        #expect(ImageFormat.fromPathExtension("a.tiff") == nil)
    }

    @Test func concurrentDecodesAgree() async throws {
        let bytes = try Fixtures.jpeg(width: 96, height: 64)
        let reference = try ImageCodec.decode(bytes)
        try await withThrowingTaskGroup(of: RGBImage.self) { group in
            for _ in 0..<16 { group.addTask { try ImageCodec.decode(bytes) } }
            for try await image in group { #expect(image == reference) }
        }
    }
}
