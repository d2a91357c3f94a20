import Foundation
import Testing
@testable import Harness
import ImageIO
import Landmarks
import Tensors

/// PCA pictures, drawing primitives and PNG encoding of report pictures.
@Suite struct ReportFigureTests {
    // MARK: PCA

    @Test func jacobiFindsEigenpairsOfASymmetricMatrix() {
        var rng = SeededGenerator(seed: 5)
        let n = 9
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in i..<n { let v = Double.random(in: -1...1, using: &rng); a[i * n + j] = v; a[j * n + i] = v } }
        let (values, vectors) = SymmetricEigen.decompose(a, n: n)
        #expect(values == values.sorted(by: >))
        for k in 0..<n {
            for i in 0..<n {
                let av = (0..<n).reduce(0.0) { $0 + a[i * n + $1] * vectors[k][$1] }
                #expect(abs(av - values[k] * vectors[k][i]) < 1e-10)
            }
            for l in 0..<n {
                let dot = zip(vectors[k], vectors[l]).reduce(0.0) { $0 + $1.0 * $1.1 }
                #expect(abs(dot - (k == l ? 1 : 0)) < 1e-10)
            }
        }
        let known = SymmetricEigen.decompose([2, 1, 1, 2], n: 2)
        #expect(abs(known.values[0] - 3) < 1e-14 && abs(known.values[1] - 1) < 1e-14)
    }

    /// A 6-channel map whose pixel vectors are `3·(x − x̄)·q0 + 1.5·(y − ȳ)·q1 + 0.3·checker·q2 + offset`
    /// for an orthonormal (q0, q1, q2) not aligned with the channel axes: the components must be ±q0,
    /// ±q1, ±q2, and R must depend on x only, G on y only, B on the checkerboard only.
    @Test func pcaRecoversAKnownStructure() throws {
        let (c, h, w) = (6, 8, 10)
        var rng = SeededGenerator(seed: 9)
        var basis: [[Double]] = []
        while basis.count < 3 {              // Gram–Schmidt on random vectors
            var v = (0..<c).map { _ in Double.random(in: -1...1, using: &rng) }
            for b in basis { let d = zip(v, b).reduce(0.0) { $0 + $1.0 * $1.1 }; v = zip(v, b).map { $0 - d * $1 } }
            let norm = v.reduce(0.0) { $0 + $1 * $1 }.squareRoot()
            basis.append(v.map { $0 / norm })
        }
        var map = Tensor(shape: [1, c, h, w])
        for y in 0..<h {
            for x in 0..<w {
                let checker = (x + y) % 2 == 0 ? 1.0 : -1.0
                for ch in 0..<c {
                    let v = 3 * (Double(x) - 4.5) * basis[0][ch] + 1.5 * (Double(y) - 3.5) * basis[1][ch]
                        + 0.3 * checker * basis[2][ch] + Double(ch)
                    map.storage[(ch * h + y) * w + x] = Float(v)
                }
            }
        }
        let components = try EmbeddingPCA.components(descriptors: map)
        #expect(components.vectors.count == 3)
        for (k, vector) in components.vectors.enumerated() {
            let dot = zip(vector, basis[k]).reduce(0.0) { $0 + $1.0 * $1.1 }
            #expect(abs(abs(dot) - 1) < 1e-5, "component \(k)")
            let largest = vector.max { abs($0) < abs($1) } ?? 0
            #expect(largest > 0, "sign rule")
        }
        #expect(components.variances[0] > components.variances[1] && components.variances[1] > components.variances[2])
        #expect(abs(components.variances[2] - 0.09) < 1e-5)

        let picture = try EmbeddingPCA.picture(descriptors: map)
        #expect(picture.width == w && picture.height == h)
        func channel(_ k: Int, _ x: Int, _ y: Int) -> UInt8 { picture.pixels[(y * w + x) * 3 + k] }
        let r0 = (0..<w).map { channel(0, $0, 0) }
        #expect(r0 == r0.sorted() || r0 == r0.sorted(by: >))
        #expect(Set(r0).count == w && r0.contains(0) && r0.contains(255))
        let g0 = (0..<h).map { channel(1, 0, $0) }
        #expect(Set(g0).count == h && g0.contains(0) && g0.contains(255))
        let blueOnEven = channel(2, 0, 0)
        #expect(blueOnEven == 0 || blueOnEven == 255)
        for y in 0..<h {
            for x in 0..<w {
                #expect(channel(0, x, y) == r0[x] && channel(1, x, y) == g0[y])
                #expect(channel(2, x, y) == ((x + y) % 2 == 0 ? blueOnEven : 255 - blueOnEven))
            }
        }
        // Rank 3 input gives the same picture.
        #expect(try EmbeddingPCA.picture(descriptors: map.reshaped([c, h, w])) == picture)
    }

    @Test func pcaPadsMissingComponentsAndRejectsBadMaps() throws {
        var two = Tensor(shape: [2, 3, 4])
        for i in 0..<12 { two.storage[i] = Float(i % 4); two.storage[12 + i] = Float(i / 4) }
        let picture = try EmbeddingPCA.picture(descriptors: two)
        #expect(stride(from: 2, to: picture.pixels.count, by: 3).allSatisfy { picture.pixels[$0] == 0 })
        #expect(picture.pixels.contains(255))
        let flat = try EmbeddingPCA.picture(descriptors: Tensor(shape: [5, 3, 3], repeating: 2))
        #expect(flat.pixels.allSatisfy { $0 == 0 })
        #expect(throws: ReportError.self) { try EmbeddingPCA.picture(descriptors: Tensor(shape: [4, 4])) }
        #expect(throws: ReportError.self) { try EmbeddingPCA.picture(descriptors: Tensor(shape: [2, 3, 0, 4])) }
        var nan = Tensor(shape: [3, 2, 2])
        nan.storage[5] = .nan
        #expect(throws: ReportError.nonFinite(what: "descriptor map", where: 5)) { try EmbeddingPCA.picture(descriptors: nan) }
    }

    // MARK: Drawing

    private func pixel(_ p: RGBPicture, _ x: Int, _ y: Int) -> [UInt8] {
        Array(p.pixels[(y * p.width + x) * 3 ..< (y * p.width + x) * 3 + 3])
    }

    @Test func upscalingIsNearestWithAMatchingPointMap() {
        let p = ReportFixtures.picture(3, 2, seed: 1)
        let big = p.upscaled(by: 4)
        #expect(big.width == 12 && big.height == 8)
        for y in 0..<8 { for x in 0..<12 { #expect(pixel(big, x, y) == pixel(p, x / 4, y / 4)) } }
        #expect(RGBPicture.scaled((x: 1, y: 0), by: 4) == (5.5, 1.5))
        #expect(p.upscaled(by: 0) == p)
        #expect(p.factor(toReach: 10) == 4 && p.factor(toReach: 2) == 1)
    }

    @Test func discCrossAndLineColourTheRightPixels() {
        let red: RGBPicture.Color = (255, 0, 0)
        var disc = RGBPicture(width: 20, height: 20, fill: (0, 0, 0))
        disc.drawDisc(x: 10, y: 10, radius: 3, color: red)
        #expect(pixel(disc, 10, 10) == [255, 0, 0] && pixel(disc, 12, 10) == [255, 0, 0])
        #expect(pixel(disc, 15, 10) == [0, 0, 0] && pixel(disc, 13, 13) == [0, 0, 0])

        var cross = RGBPicture(width: 20, height: 20, fill: (0, 0, 0))
        cross.drawCross(x: 10, y: 10, size: 4, color: red)
        #expect(pixel(cross, 13, 10) == [255, 0, 0] && pixel(cross, 10, 7) == [255, 0, 0])
        #expect(pixel(cross, 12, 12) == [0, 0, 0])

        var line = RGBPicture(width: 20, height: 20, fill: (0, 0, 0))
        line.drawLine(from: (2, 5), to: (12, 5), color: red)
        for x in 2...12 { #expect(pixel(line, x, 5) == [255, 0, 0]) }
        #expect(pixel(line, 7, 7) == [0, 0, 0] && pixel(line, 15, 5) == [0, 0, 0])
        var diagonal = RGBPicture(width: 20, height: 20, fill: (0, 0, 0))
        diagonal.drawLine(from: (1, 1), to: (15, 15), thickness: 2, color: red)
        for k in 1...15 { #expect(pixel(diagonal, k, k) == [255, 0, 0]) }
        #expect(pixel(diagonal, 15, 1) == [0, 0, 0])

        // Off-picture and non-finite coordinates are clipped, never a trap.
        var untouched = RGBPicture(width: 5, height: 5, fill: (9, 9, 9))
        untouched.drawLine(from: (.nan, 0), to: (3, 3), color: red)
        untouched.drawLine(from: (-50, -50), to: (-40, -10), color: red)
        untouched.drawSaltire(x: .infinity, y: 1, size: 2, color: red)
        #expect(untouched == RGBPicture(width: 5, height: 5, fill: (9, 9, 9)))
    }

    @Test func sideBySidePadsWithTheBackground() {
        let a = ReportFixtures.picture(3, 4, seed: 1), b = ReportFixtures.picture(2, 2, seed: 7)
        let both = RGBPicture.sideBySide([a, b], gap: 1, background: (1, 2, 3))
        #expect(both.width == 6 && both.height == 4)
        #expect(pixel(both, 3, 0) == [1, 2, 3] && pixel(both, 4, 3) == [1, 2, 3])
        #expect(pixel(both, 2, 3) == pixel(a, 2, 3) && pixel(both, 5, 1) == pixel(b, 1, 1))
        #expect(RGBPicture.sideBySide([]).width == 0)
    }

    @Test func pngBytesDecodeToTheSamePixels() throws {
        let p = ReportFixtures.picture(17, 5, seed: 3)
        let png = try p.pngData()
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        let decoded = try ImageCodec.decode(png)
        #expect(decoded.width == 17 && decoded.height == 5 && decoded.pixels == p.pixels)
        var broken = p
        broken.pixels.removeLast()
        #expect(throws: ReportError.self) { try broken.pngData() }
    }

    @Test func picturesFromImageTensorsUndoTheNormalisation() throws {
        var rng = SeededGenerator(seed: 2)
        let bytes = (0..<(3 * 4 * 5)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let normalised = try WarpedImageConversion.normalized(bytes, shape: [1, 3, 4, 5])
        let picture = try RGBPicture(normalizedImage: normalised)
        let raw = try RGBPicture(image: Tensor(shape: [3, 4, 5], storage: bytes.map(Float.init)))
        #expect(picture == raw && picture.width == 5 && picture.height == 4)
        #expect(pixel(raw, 1, 2) == [bytes[2 * 5 + 1], bytes[20 + 2 * 5 + 1], bytes[40 + 2 * 5 + 1]])
        #expect(throws: ReportError.self) { try RGBPicture(image: Tensor(shape: [4, 2, 2])) }
    }
}
