import Foundation
import ImageIO
import Landmarks
import Testing

/// The procedural generator: determinism, landmark placement and consistency, errors, speed.
@Suite struct SynthFacesTests {
    static func faces(seed: UInt64 = 7, identities: Int = 20, images: Int = 5, size: Int = 100) throws -> SynthFaces {
        try SynthFaces(seed: seed, identities: identities, imagesPerIdentity: images, size: size)
    }

    @Test func sameSeedGivesIdenticalBytesAndDifferentSeedsDiffer() throws {
        let a = try Self.faces(seed: 11), b = try Self.faces(seed: 11), c = try Self.faces(seed: 12)
        for index in [0, 1, 37, 99] {
            let fa = try a.render(index: index), fb = try b.render(index: index), fc = try c.render(index: index)
            #expect(fa.image == fb.image)
            #expect(fa.landmarks68 == fb.landmarks68 && fa.landmarks5 == fb.landmarks5)
            #expect(fa.image != fc.image)
            #expect(fa.landmarks5 != fc.landmarks5)
        }
    }

    @Test func anItemDoesNotDependOnWhatWasRenderedBeforeNorOnTheDatasetSize() throws {
        let small = try SynthFaces(seed: 3, identities: 6, imagesPerIdentity: 2)
        let large = try SynthFaces(seed: 3, identities: 6, imagesPerIdentity: 9)
        let first = try small.render(index: 9)          // identity 3, photo 1
        for index in 0..<9 { _ = try small.render(index: index) }
        #expect(try small.render(index: 9).image == first.image)
        let same = try large.render(index: 9)
        #expect(same.identity == 3 && same.imageInIdentity == 1)
        #expect(same.image == first.image && same.landmarks68 == first.landmarks68)
    }

    @Test func consecutiveItemsAreDifferentPeopleAndPhotosOfOnePersonVary() throws {
        let faces = try Self.faces()
        let a = try faces.render(index: 4), b = try faces.render(index: 5), again = try faces.render(index: 24)
        #expect(a.identity == 4 && b.identity == 5 && again.identity == 4 && again.imageInIdentity == 1)
        #expect(a.image != again.image && a.landmarks5 != again.landmarks5)
    }

    @Test func landmarksLieInsideTheImageInAnatomicalOrder() throws {
        let faces = try Self.faces()
        for index in 0..<faces.count {
            let face = try faces.render(index: index)
            let p = face.landmarks68, q = face.landmarks5
            #expect(p.count == 68 && q.count == 5)
            for point in p + q {
                #expect(point.x >= 0 && point.x <= 99 && point.y >= 0 && point.y <= 99, "item \(index): \(point)")
            }
            // Work in the face's own frame (undo the roll) so the order checks hold for tilted heads.
            let roll = face.attributes.rollDegrees * .pi / 180
            func upright(_ s: SynthPoint) -> (x: Double, y: Double) {
                (cos(roll) * s.x + sin(roll) * s.y, -sin(roll) * s.x + cos(roll) * s.y)
            }
            let u = p.map(upright), v = q.map(upright)
            #expect(v[0].x < v[1].x && v[3].x < v[4].x, "item \(index): left before right")
            let eyeY = (v[0].y + v[1].y) / 2, mouthY = (v[3].y + v[4].y) / 2
            #expect(eyeY < v[2].y && v[2].y < mouthY, "item \(index): nose between eyes and mouth")
            #expect(u[36].x < u[39].x && u[39].x < u[42].x && u[42].x < u[45].x, "item \(index): eye corners")
            #expect(u[17].x < u[21].x && u[22].x < u[26].x && u[21].x < u[22].x, "item \(index): brows")
            #expect(u[19].y < u[37].y && u[24].y < u[44].y, "item \(index): brows above eyes")
            #expect(u[27].y < u[30].y && u[30].y < u[51].y && u[51].y < u[57].y, "item \(index): nose above mouth")
            #expect(u[8].y > u[57].y, "item \(index): chin below the mouth")
            #expect(u[0].x < u[8].x && u[8].x < u[16].x, "item \(index): jaw runs left to right")
        }
    }

    @Test func fivePointsAgreeWithTheSixtyEight() throws {
        let faces = try Self.faces()
        for index in 0..<faces.count {
            let face = try faces.render(index: index)
            let p = face.landmarks68, q = face.landmarks5
            #expect(q[2] == p[30] && q[3] == p[48] && q[4] == p[54], "item \(index)")
            for (centre, corners) in [(q[0], (p[36], p[39])), (q[1], (p[42], p[45]))] {
                let width = hypot(corners.1.x - corners.0.x, corners.1.y - corners.0.y)
                let mid = SynthPoint(x: (corners.0.x + corners.1.x) / 2, y: (corners.0.y + corners.1.y) / 2)
                #expect(width > 1, "item \(index): eye width \(width)")
                // The pupil follows the gaze, by at most 0.28·half-width sideways (+ lid height).
                #expect(hypot(centre.x - mid.x, centre.y - mid.y) < 0.35 * width, "item \(index): eye centre \(centre) vs \(mid)")
            }
            // Inter-ocular distances of the two conventions stay in proportion.
            let centres = hypot(q[1].x - q[0].x, q[1].y - q[0].y), outer = hypot(p[45].x - p[36].x, p[45].y - p[36].y)
            #expect(outer > centres && outer < 2.2 * centres, "item \(index)")
        }
    }

    @Test func pupilsAreDarkerThanTheNoseTip() throws {
        // The dots sit on the drawn features: on average a pupil pixel is much darker than the
        // nose tip's skin (squints, dark skin and heavy shadows make single items unreliable).
        let faces = try Self.faces()
        var pupils = 0.0, noses = 0.0
        for index in 0..<faces.count {
            let face = try faces.render(index: index)
            func luminance(_ point: SynthPoint) -> Double {
                let px = face.image[x: Int(point.x.rounded()), y: Int(point.y.rounded())]
                return 0.299 * Double(px.r) + 0.587 * Double(px.g) + 0.114 * Double(px.b)
            }
            pupils += (luminance(face.landmarks5[0]) + luminance(face.landmarks5[1])) / 2
            noses += luminance(face.landmarks5[2])
        }
        #expect(pupils / Double(faces.count) + 40 < noses / Double(faces.count))
    }

    @Test func otherFramingsAndSizes() throws {
        let faces = try Self.faces(identities: 4, images: 2, size: 64)
        let face = try faces.render(index: 3)
        #expect(face.image.width == 64 && face.image.height == 64)
        let celeba = try faces.render(index: 3, framing: .celebAAligned)
        #expect(celeba.image.width == 178 && celeba.image.height == 218)
        let eyes = (celeba.landmarks5[0].x + celeba.landmarks5[1].x) / 2
        #expect(abs(eyes - 88) < 20 && abs(celeba.landmarks5[0].y - 111) < 20)
    }

    @Test func invalidArgumentsAreTypedErrors() throws {
        #expect(throws: SynthFacesError.invalidCount(identities: 0, imagesPerIdentity: 3)) {
            try SynthFaces(seed: 0, identities: 0, imagesPerIdentity: 3)
        }
        let faces = try Self.faces(identities: 2, images: 2)
        #expect(throws: SynthFacesError.indexOutOfRange(index: 4, count: 4)) { try faces.render(index: 4) }
        #expect(throws: SynthFacesError.indexOutOfRange(index: -1, count: 4)) { try faces.render(index: -1) }
        var framing = SynthFraming.square(100)
        framing.width = 5
        #expect(throws: SynthFacesError.self) { try faces.render(index: 0, framing: framing) }
        framing = .square(100)
        framing.interocular = .nan
        #expect(throws: SynthFacesError.self) { try SynthFaces(seed: 0, identities: 1, imagesPerIdentity: 1, framing: framing) }
    }

    @Test func renderingIsCheapEvenInADebugBuild() throws {
        // A smoke test, not a benchmark (`dvebench synth --benchmark` measures the release build).
        let faces = try Self.faces(identities: 10, images: 3)
        let start = Date()
        for index in 0..<faces.count { _ = try faces.render(index: index) }
        #expect(Date().timeIntervalSince(start) < 60)
    }

    @Test func contactSheetIsAPNGOfTheExpectedSize() throws {
        let faces = try Self.faces(identities: 6, images: 2)
        let sheet = try SynthContactSheet.make(faces, columns: 4, rows: 3, points: .five, scale: 2)
        #expect(sheet.width == 4 + 4 * (200 + 4) && sheet.height == 4 + 3 * (200 + 4))
        let decoded = try ImageCodec.decode(ImageCodec.encodePNG(sheet))
        #expect(decoded == sheet)
        let sheet68 = try SynthContactSheet.make(faces, columns: 4, rows: 3, points: .sixtyEight, scale: 1)
        #expect(sheet68.width == 4 + 4 * 104)
    }
}
