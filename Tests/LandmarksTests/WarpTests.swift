import Foundation
import HDF5
import Testing
import Landmarks
import Tensors
import TestSupport

@Suite struct WarpLinspaceTests {
    @Test func bothVariantsMatchEveryStoredSizeBitForBit() throws {
        let file = try HDF5File.open(Fixtures.golden.appendingPathComponent("tps.h5").path)
        defer { file.close() }
        let group = try file.root.group("linspace")
        var seen = 0
        for (prefix, variant) in [("torch1_13_W", Linspace.Variant.torch1_13), ("torch1_1_W", .torch1_1)] {
            for name in try group.datasetNames() where name.hasPrefix(prefix) {
                let n = try #require(Int(name.dropFirst(prefix.count)))
                let stored = try group.dataset(name).readFloat32()
                let ours = Linspace.values(from: -1, to: 1, count: n, variant: variant)
                #expect(ours.map(\.bitPattern) == stored.map(\.bitPattern), "\(name)")
                seen += 1
            }
        }
        #expect(seen >= 18)
    }

    @Test func theVariantsDifferAndOnlyThe113OneHitsBothEndpointsExactly() {
        let old = Linspace.values(from: -1, to: 1, count: 100, variant: .torch1_1)
        let new = Linspace.values(from: -1, to: 1, count: 100, variant: .torch1_13)
        #expect(old != new)
        #expect(new.first == -1 && new.last == 1)
        // "Integer" pixel coordinates are not integers: pixel 2 of a 100-wide grid is 1.999999 in both.
        for values in [old, new] {
            let pixels = values.map { (($0 + 1) / 2) * 99 }
            #expect(pixels[2] != 2 && abs(pixels[2] - 2) < 1e-5)
        }
    }

    @Test func degenerateCounts() {
        #expect(Linspace.values(from: -1, to: 1, count: 0).isEmpty)
        #expect(Linspace.values(from: -1, to: 1, count: -3).isEmpty)
        #expect(Linspace.values(from: 2, to: 5, count: 1) == [2])
        #expect(Linspace.values(from: -1, to: 1, count: 2, variant: .torch1_1) == [-1, 1])
    }
}

@Suite struct WarpGridSampleTests {
    static func ramp(_ c: Int, _ h: Int, _ w: Int) -> Tensor {
        Tensor(shape: [c, h, w], storage: (0..<(c * h * w)).map { Float(($0 * 37 + 11) % 256) })
    }

    @Test func identityGridReproducesTheImageWithAlignCornersTrue() throws {
        let image = Self.ramp(3, 9, 13)
        let grid = Tensor(shape: [9, 13, 2], storage: WarpCoordinates.tpsGrid(height: 9, width: 13, variant: .torch1_13))
        let out = try GridSample.bilinear(image, grid: grid)
        #expect(out.shape == [3, 9, 13])
        let worst = zip(out.storage, image.storage).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst < 1e-3, "linspace noise only, got \(worst)")
    }

    @Test func alignCornersFalseUsesPixelEdgesAHalfPixelShift() throws {
        let (h, w) = (4, 6)
        let image = Self.ramp(1, h, w)
        // Pixel centres in the align_corners=False convention: (2j + 1)/W − 1.
        var centres = [Float]()
        for i in 0..<h { for j in 0..<w { centres += [Float(2 * j + 1) / Float(w) - 1, Float(2 * i + 1) / Float(h) - 1] } }
        let same = try GridSample.bilinear(image, grid: Tensor(shape: [h, w, 2], storage: centres), alignCorners: .false)
        #expect(zip(same.storage, image.storage).allSatisfy { abs($0 - $1) < 1e-4 })
        // ±1 are the outer pixel edges: the corner sample sits half a pixel outside in x and in y, so only
        // tap (0, 0) is inside, with weight ½·½.
        let corner = try GridSample.bilinear(image, grid: Tensor(shape: [1, 1, 2], storage: [-1, -1]), alignCorners: .false)
        #expect(corner.storage == [0.25 * image.storage[0]])
        // The same coordinates under align_corners=True hit the pixel centre exactly.
        let centre = try GridSample.bilinear(image, grid: Tensor(shape: [1, 1, 1, 2], storage: [-1, -1]))
        #expect(centre.storage == [image.storage[0]])
    }

    @Test func bilinearWeightsAndZeroPadding() throws {
        let image = Tensor(shape: [1, 2, 2], storage: [0, 10, 20, 30])
        let grid = Tensor(shape: [1, 5, 2], storage: [0, 0,  1, -1,  5, 0,  .nan, 0,  3, 3])
        let out = try GridSample.bilinear(image, grid: grid)
        #expect(out.storage[0] == 15)        // centre: the mean of the four pixels
        #expect(out.storage[1] == 10)        // the top-right pixel centre
        #expect(out.storage[2] == 0)         // far outside: every tap is padding
        #expect(out.storage[3] == 0)         // NaN samples nothing
        #expect(out.storage[4] == 0)
        // Half a pixel beyond the right edge: one real tap at half weight.
        let edge = try GridSample.bilinear(image, grid: Tensor(shape: [1, 1, 2], storage: [2, -1]))
        #expect(edge.storage == [5])
    }

    @Test func badShapesAreTypedErrors() {
        #expect(throws: WarpError.self) { try GridSample.bilinear(Tensor(shape: [2, 2]), grid: Tensor(shape: [1, 1, 2])) }
        #expect(throws: WarpError.self) { try GridSample.bilinear(Tensor(shape: [1, 2, 2]), grid: Tensor(shape: [1, 1, 3])) }
    }
}

@Suite struct TPSTests {
    @Test func identityWeightsGiveThePixelGridExactly() throws {
        let basis = try TPSBasis(height: 12, width: 17)
        let grid = basis.grid(.identity)
        #expect(grid.shape == [1, 12, 17, 2])
        #expect(grid.storage == basis.pixels)
        #expect(TPSWeights.identity.scale == 1 && TPSWeights.identity.rotation == 0)
    }

    @Test func affineRowsFollowTheDocumentedFormula() throws {
        let rot: Float = 0.3, sc: Float = 1.2
        let weights = try TPSWeights(rbf: [Float](repeating: 0, count: 200), translation: (0.1, -0.2), scale: sc, rotation: rot)
        let basis = try TPSBasis.shared(height: 5, width: 7)
        let grid = basis.grid(weights)
        for p in 0..<35 {
            let (x, y) = (basis.pixels[2 * p], basis.pixels[2 * p + 1])
            #expect(abs(grid.storage[2 * p] - (0.1 + sc * (cos(rot) * x + sin(rot) * y))) < 1e-6)
            #expect(abs(grid.storage[2 * p + 1] - (-0.2 + sc * (-sin(rot) * x + cos(rot) * y))) < 1e-6)
        }
        #expect(abs(weights.scale - sc) < 1e-6 && abs(weights.rotation - rot) < 1e-6)
    }

    @Test func radialBasisUsesTheSquaredDistance() {
        let u = TPSBasis.radialBasis([0, 0, 2, 0], [0, 0])
        #expect(u[0] == 0)
        #expect(u[1] == Float(4) * log(Float(4) + Float(1e-5)))
    }

    @Test func weightsAndSizesAreValidated() {
        #expect(throws: WarpError.weightCount(got: 5)) { try TPSWeights(values: [1, 2, 3, 4, 5]) }
        #expect(throws: WarpError.self) { try TPSBasis(height: 1, width: 10) }
        #expect(throws: WarpError.self) { try TPSAmplitudes(warpsdAll: -1, warpsdSubset: 0, transsd: 0, scalesd: 0, rotsd: 0) }
    }

    @Test func drawsAreDeterministicPerSeed() {
        var a = SeededGenerator(seed: 11), b = SeededGenerator(seed: 11), c = SeededGenerator(seed: 12)
        let x = TPSWeights.random(.training, using: &a), y = TPSWeights.random(.training, using: &b)
        #expect(x == y)
        #expect(x != TPSWeights.random(.training, using: &c))
    }

    @Test func drawsHaveTheDocumentedDistributions() {
        var rng = SeededGenerator(seed: 5)
        let draws = (0..<3000).map { _ in TPSWeights.random(.training, using: &rng) }
        func stats(_ v: [Float]) -> (mean: Double, std: Double) {
            let m = v.reduce(0.0) { $0 + Double($1) } / Double(v.count)
            let s = (v.reduce(0.0) { $0 + (Double($1) - m) * (Double($1) - m) } / Double(v.count)).squareRoot()
            return (m, s)
        }
        func near(_ got: Double, _ want: Double, _ rel: Double = 0.05) -> Bool { abs(got - want) <= rel * want }
        // An RBF entry is N(0, 0.001²) or N(0, 0.01²) with probability ½ each.
        let rbf = stats(draws.flatMap { Array($0.rbf) })
        #expect(abs(rbf.mean) < 1e-4 && near(rbf.std, ((0.001 * 0.001 + 0.01 * 0.01) / 2).squareRoot()), "\(rbf)")
        let rot = stats(draws.map(\.rotation)), sc = stats(draws.map(\.scale))
        let tx = stats(draws.map(\.translation.x)), ty = stats(draws.map(\.translation.y))
        #expect(abs(rot.mean) < 0.005 && near(rot.std, 5 * Double.pi / 180), "\(rot)")
        #expect(abs(sc.mean - 1) < 0.006 && near(sc.std, 0.1), "\(sc)")
        #expect(abs(tx.mean) < 0.006 && near(tx.std, 0.1) && near(ty.std, 0.1), "\(tx) \(ty)")
        // WarperSingle's σ_subset = 0 zeroes about half the coefficients exactly.
        let single = (0..<200).flatMap { _ in Array(TPSWeights.random(.single, using: &rng).rbf) }
        let zeros = Double(single.filter { $0 == 0 }.count) / Double(single.count)
        #expect(abs(zeros - 0.5) < 0.02)
    }

    @Test func firstWarpMultipliers() throws {
        let training = try Warper(height: 20, width: 20)
        let first = training.firstWarpAmplitudes
        #expect(first.warpsdAll == 0.0005 && first.warpsdSubset == 0.005)
        #expect(first.transsd == 0.1 && first.scalesd == 0.1 && first.rotsd == 5)
        #expect(try Warper.evaluation(imageSize: 20).firstWarpAmplitudes == .evaluation)
        #expect(TPSAmplitudes.evaluation.warpsdAll == 0.0005 && TPSAmplitudes.evaluation.rotsd == 2.5)
    }
}

@Suite struct WarperTests {
    /// Weights whose grid samples `dx` pixels to the right of each output pixel (W = H = side).
    static func shift(_ dx: Float, side: Int) throws -> TPSWeights {
        try TPSWeights(rbf: [Float](repeating: 0, count: 200), translation: (2 * dx / Float(side - 1), 0), scale: 1, rotation: 0)
    }

    @Test func keypointLookupIsTheNearestWarpedSample() throws {
        // A 2×3 pixel grid whose samples were moved; the answer is the regular position of the nearest.
        let regular: [Float] = [0, 0, 1, 0, 2, 0, 0, 1, 1, 1, 2, 1]
        let warped: [Float] = [0.4, 0, 1.4, 0, 2.4, 0, 0.4, 1, 1.4, 1, 2.4, 1]
        let kp = Tensor(shape: [3, 2], storage: [1.3, 0.2, 2.0, 0.9, .nan, 0])
        let out = try NearestGridLookup.warp(kp, warpedSamples: warped, regularPixels: regular)
        #expect(Array(out.storage[0..<4]) == [1, 0, 2, 1])
        #expect(out.storage[4].isNaN && out.storage[5].isNaN)
        // Equally near samples: the lowest flat index wins.
        #expect(NearestGridLookup.nearestIndex(x: 1, y: 0, samples: [0.5, 0, 1.5, 0]) == 0)
        #expect(NearestGridLookup.nearestIndex(x: 1, y: 0, samples: [1.5, 0, 0.5, 0]) == 0)
        #expect(NearestGridLookup.nearestIndex(x: 1, y: 0, samples: [.nan, 0]) == nil)
    }

    @Test func theDoublyWarpedImageComesFirstAsTheDatasetSeesIt() throws {
        let side = 21, crop = 3
        let warper = try Warper(height: side, width: side)
        let image = WarpGridSampleTests.ramp(3, side, side)
        let kp = Tensor(shape: [1, 2], storage: [10, 8])
        let pair = try warper.warp(image, keypoints: kp, crop: crop, weights: (.identity, try Self.shift(2, side: side)))
        let inner = side - 2 * crop
        #expect(pair.im1.shape == [3, inner, inner] && pair.im2.shape == [3, inner, inner])
        // im2 = singly (identity) warped, cropped; im1 = doubly warped: im1(p) = im(p + 2 px).
        for y in 0..<inner {
            for x in 0..<inner {
                let original = image.storage[(y + crop) * side + x + crop]
                #expect(abs(pair.im2.storage[y * inner + x] - original) < 1e-3)
                #expect(abs(pair.im1.storage[y * inner + x] - image.storage[(y + crop) * side + x + crop + 2]) < 1e-3)
            }
        }
        // kp2: identity, minus crop; kp1: the output pixel sampling (10, 8) is (8, 8), minus crop.
        let kp1 = try #require(pair.kp1), kp2 = try #require(pair.kp2)
        #expect(kp2.storage.map { $0.rounded() } == [7, 5] && kp1.storage.map { $0.rounded() } == [5, 5])
        #expect(pair.kp2Uncropped?.storage.map { $0.rounded() } == [10, 8])
        #expect(pair.flow.shape == [1, inner, inner, 2] && pair.grid.shape == [1, inner, inner, 2])
        #expect(abs(pair.flow.storage[0] - 2) < 1e-4 && abs(pair.flow.storage[1]) < 1e-4)
        // grid: where in cropped im2 each im1 pixel comes from, normalised to the cropped frame.
        #expect(abs(pair.grid.storage[0] - (2 * 2 / Float(inner - 1) - 1)) < 1e-5)
    }

    @Test func theColourVariantFeedsTheDoublyWarpedImage() throws {
        let warper = try Warper(height: 10, width: 10)
        let image = Tensor(shape: [3, 10, 10], repeating: 100), variant = Tensor(shape: [3, 10, 10], repeating: 7)
        let pair = try warper.warp(image, colourVariant: variant, crop: 2, weights: (.identity, .identity))
        #expect(pair.im2.storage.allSatisfy { abs($0 - 100) < 1e-3 })
        #expect(pair.im1.storage.allSatisfy { abs($0 - 7) < 1e-3 })
        #expect(pair.kp1 == nil && pair.kp2 == nil)
    }

    @Test func randomCallsAreDeterministicPerSeed() throws {
        let warper = try Warper(height: 30, width: 30)
        let image = WarpGridSampleTests.ramp(3, 30, 30)
        var a = SeededGenerator(seed: 3), b = SeededGenerator(seed: 3)
        let first = try warper(image, crop: 5, using: &a), second = try warper(image, crop: 5, using: &b)
        #expect(first.im1 == second.im1 && first.grid == second.grid)
        #expect(first.im1 != first.im2)
    }

    @Test func invalidInputsAreTypedErrors() throws {
        let warper = try Warper(height: 10, width: 10)
        let image = Tensor(shape: [3, 10, 10])
        #expect(throws: WarpError.invalidCrop(crop: 5, height: 10, width: 10)) {
            try warper.warp(image, crop: 5, weights: (.identity, .identity))
        }
        #expect(throws: WarpError.self) { try warper.warp(Tensor(shape: [3, 10, 11]), weights: (.identity, .identity)) }
        #expect(throws: WarpError.self) {
            try warper.warp(image, keypoints: Tensor(shape: [4, 3]), weights: (.identity, .identity))
        }
        #expect(throws: WarpError.self) { try Warper(height: 10, width: 10, firstWarpMultiplier: .nan) }
    }

    @Test func singleWarperCropsAndMovesKeypoints() throws {
        let single = try SingleWarper(height: 21, width: 21)
        let image = WarpGridSampleTests.ramp(3, 21, 21)
        let out = try single.warp(image, keypoints: Tensor(shape: [1, 2], storage: [10, 8]), crop: 3,
                                  weights: try Self.shift(-1, side: 21))
        #expect(out.image.shape == [3, 15, 15])
        #expect(out.keypoints?.storage.map { $0.rounded() } == [8, 5])
    }

    @Test func uint8ConversionTruncatesLikeTorch() throws {
        let values: [Float] = [254.99998, 255.00002, 0.7, -0.5, -1.5, 256.5, 300, .nan, 1e30]
        #expect(WarpedImageConversion.truncatingToUInt8(values) == [254, 255, 0, 0, 255, 0, 44, 0, 0])
        let data = try WarpedImageConversion.normalized([0, 255, 128], shape: [3, 1, 1])
        let mean: [Float] = [0.5084, 0.4224, 0.3769], std: [Float] = [0.2599, 0.2371, 0.2323]
        #expect(data.storage == [(0 - mean[0]) / std[0], (1 - mean[1]) / std[1], (Float(128) / 255 - mean[2]) / std[2]])
        #expect(throws: WarpError.self) { try WarpedImageConversion.normalized([1, 2], shape: [1, 1, 2]) }
    }
}
