import Foundation
import Testing
@testable import ImageIO

@Suite("Atomic writes and encoder argument checks")
struct WriteAndEncodeTests {
    @Test func writeReplacesExistingFileAndLeavesNoTemporaries() throws {
        let dir = try TempDir()
        let path = dir.file("preview.png")
        let first = Fixtures.noise(width: 8, height: 8, seed: 1)
        let second = Fixtures.noise(width: 5, height: 3, seed: 2)
        try ImageCodec.write(first, toPath: path)
        #expect(try ImageCodec.decodeFile(atPath: path) == first)
        try ImageCodec.write(second, toPath: path)
        #expect(try ImageCodec.decodeFile(atPath: path) == second)
        #expect(try dir.contents() == ["preview.png"])
    }

    @Test func writeJPEGByExtension() throws {
        let dir = try TempDir()
        let image = Fixtures.gradient(width: 20, height: 10)
        for name in ["a.jpg", "b.JPEG"] {
            try ImageCodec.write(image, toPath: dir.file(name), jpegQuality: 100)
            let decoded = try ImageCodec.decodeFile(atPath: dir.file(name))
            #expect(maxAbsDiff(decoded, image) <= 4)
        }
        #expect(try dir.contents() == ["a.jpg", "b.JPEG"])
    }

    @Test func writeOverDirectoryFailsCleanly() throws {
        let dir = try TempDir()
        let target = dir.file("taken.png")
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: false)
        let error = capture { () throws(ImageIOError) in
            try ImageCodec.write(Fixtures.noise(width: 2, height: 2), toPath: target)
        }
        guard case .writeFailed(target, _)? = error else {
            Issue.record("expected writeFailed, got \(String(describing: error))")
            return
        }
        #expect(try dir.contents() == ["taken.png"])
    }

    @Test func writeIntoMissingDirectory() throws {
        let dir = try TempDir()
        let path = dir.file("missing/out.png")
        let error = capture { () throws(ImageIOError) in
            try ImageCodec.write(Fixtures.noise(width: 2, height: 2), toPath: path)
        }
        guard case .writeFailed(path, let reason)? = error else {
            Issue.record("expected writeFailed, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("No such file"))
    }

    @Test func writeWithUnknownExtension() throws {
        let dir = try TempDir()
        let path = dir.file("out.bmp")
        let error = capture { () throws(ImageIOError) in
            try ImageCodec.write(Fixtures.noise(width: 2, height: 2), toPath: path)
        }
        guard case .unsupported(path, _)? = error else {
            Issue.record("expected unsupported, got \(String(describing: error))")
            return
        }
        #expect(try dir.contents().isEmpty)
    }

    @Test func encodeRejectsBadArguments() {
        var broken = Fixtures.noise(width: 4, height: 4)
        broken.pixels.removeLast()
        let empty = RGBImage(width: 0, height: 3)
        let good = Fixtures.noise(width: 4, height: 4)
        let cases: [(String, () throws(ImageIOError) -> [UInt8])] = [
            ("inconsistent JPEG", { () throws(ImageIOError) in try ImageCodec.encodeJPEG(broken) }),
            ("inconsistent PNG", { () throws(ImageIOError) in try ImageCodec.encodePNG(broken) }),
            ("empty JPEG", { () throws(ImageIOError) in try ImageCodec.encodeJPEG(empty) }),
            ("empty PNG", { () throws(ImageIOError) in try ImageCodec.encodePNG(empty) }),
            ("quality 0", { () throws(ImageIOError) in try ImageCodec.encodeJPEG(good, quality: 0) }),
            ("quality 101", { () throws(ImageIOError) in try ImageCodec.encodeJPEG(good, quality: 101) }),
        ]
        for (name, body) in cases {
            let error = capture(body)
            guard case .encodeFailed("<memory>", _, _)? = error else {
                Issue.record("\(name): expected encodeFailed, got \(String(describing: error))")
                continue
            }
        }
    }

    @Test func largeNoisePNGRoundTrips() throws {
        // Incompressible data exercises the output-buffer sizing.
        let image = Fixtures.noise(width: 301, height: 203, seed: 9)
        #expect(try ImageCodec.decode(ImageCodec.encodePNG(image)) == image)
    }
}
