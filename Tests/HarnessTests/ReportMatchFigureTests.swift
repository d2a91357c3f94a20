import Foundation
import Testing
@testable import Harness
import Landmarks
import Tensors

/// Descriptors that ignore the image: cell (r, c) of the H/2×W/2 map is the one-hot e_{r·W/2 + c}, so a
/// query matches its own cell in any target (stride 2).
private final class OneHotCells: Layer {
    var stateEntries: [(key: String, entry: StateEntry)] { [] }

    func forward(_ input: Tensor, training: Bool) -> Tensor {
        let (n, _, h0, w0) = input.nchw
        let (h, w) = (h0 / 2, w0 / 2)
        var out = Tensor(shape: [n, h * w, h, w])
        for i in 0..<n { for cell in 0..<(h * w) { out.storage[((i * h * w + cell) * h) * w + cell] = 1 } }
        return out
    }

    func backward(_ gradOutput: Tensor) -> Tensor { gradOutput }
}

/// Match figures rebuilt from a real protocol run (imwidth 20, crop 3, seeded warps).
@Suite struct ReportMatchFigureTests {
    /// Ten 20×20 items with a colour ramp (so warps show) and three keypoints that differ per item.
    static let source = InMemoryEvaluationSource((0..<10).map { i in
        var image = Tensor(shape: [3, 20, 20])
        for c in 0..<3 { for p in 0..<400 { image.storage[c * 400 + p] = Float((p * (c + 1) + 25 * i) % 256) } }
        let kp: [Float] = [5 + Float(i % 3), 6, 10, 9 + Float(i % 4), 14, 13]
        return EvaluationItem(image: image, keypoints: Tensor(shape: [3, 2], storage: kp))
    })
    static let options = MatchingOptions(imageWidth: 20, crop: 3, fallbackSeed: 11)

    @Test func figuresShowWhatTheProtocolMeasured() throws {
        let result = try MatchingProtocol.run(network: OneHotCells(), source: Self.source, options: Self.options)
        #expect(result.pairCount == 5)
        let figures = try MatchFigures.make(result: result, source: Self.source, count: 4)
        #expect(figures.count == 4)
        let picked = [0, 1, 2, 4]                        // spread over 5 pairs, first and last included
        let warper = try Warper.evaluation(imageSize: 20, linspace: Self.options.linspace,
                                           alignCorners: Self.options.alignCorners)
        for (figure, index) in zip(figures, picked) {
            let pair = result.pairs[index]
            #expect(figure.source.width == 14 && figure.target.height == 14)
            // Matched and true points give back exactly the protocol's different-identity errors.
            for (k, keypoint) in pair.keypoints.enumerated() {
                let t = figure.truePoints[k]
                let error = MatchingRules.pixelError(predicted: figure.matchedPoints[k], truth: (Float(t.x), Float(t.y)),
                                                     scale: result.errorScale)
                #expect(error == keypoint.differentError)
                #expect(abs(figure.sourcePoints[k].x / result.stride - keypoint.query.xOverStride) < 1e-9)
            }
            // The pictures are the protocol's warped bytes, drawn independently here from the same seed.
            for (item, isSource) in [(pair.sourceItem, true), (pair.differentItem, false)] {
                var rng = SeededGenerator(seed: SeededGenerator.derive(11, UInt64(item)))
                let warped = try warper.warp(try Self.source.item(at: item).image, keypoints: nil, crop: 3,
                                             weights: warper.randomWeights(using: &rng))
                let bytes = try warped.datasetData().bytes
                let plane = 14 * 14, offset = isSource ? 0 : 3 * plane
                let picture = isSource ? figure.source : figure.target
                for p in stride(from: 0, to: plane, by: 7) {
                    for c in 0..<3 { #expect(picture.pixels[p * 3 + c] == bytes[offset + c * plane + p]) }
                }
            }
        }
        #expect(try MatchFigures.make(result: result, source: Self.source, count: 1).count == 1)
        #expect(try MatchFigures.make(result: result, source: Self.source, count: 0).isEmpty)

        let composed = MatchFigures.compose(figures[0], side: 56)
        #expect(composed.width == 2 * 56 + 8 && composed.height == 56)
        let colours = Set(stride(from: 0, to: composed.pixels.count, by: 3).map {
            [composed.pixels[$0], composed.pixels[$0 + 1], composed.pixels[$0 + 2]]
        })
        let red = MatchFigures.matchedColor, cyan = MatchFigures.sourceColor
        #expect(colours.contains([red.r, red.g, red.b]) && colours.contains([cyan.r, cyan.g, cyan.b]))
    }

    @Test func anotherSourceIsRejected() throws {
        let result = try MatchingProtocol.run(network: OneHotCells(), source: Self.source, options: Self.options)
        let fewer = InMemoryEvaluationSource(Self.source.items.map {
            EvaluationItem(image: $0.image, keypoints: Tensor(shape: [1, 2], storage: [8, 8]))
        })
        #expect(throws: ReportError.self) { try MatchFigures.make(result: result, source: fewer) }
        let short = InMemoryEvaluationSource(Array(Self.source.items.prefix(2)))
        #expect(throws: ReportError.matching(.itemSource(index: 2, underlying: "index outside 0..<2"))) {
            try MatchFigures.make(result: result, source: short)
        }
    }
}
