import Testing
@testable import ImageIO

@Suite("Decoding bad input fails with a typed error naming the file")
struct DecodeErrorTests {
    /// Index just past the SOS segment header, i.e. where entropy data starts.
    func endOfFirstSOSHeader(_ jpeg: [UInt8]) -> Int? {
        for i in 2..<(jpeg.count - 3) where jpeg[i] == 0xFF && jpeg[i + 1] == 0xDA {
            return i + 2 + (Int(jpeg[i + 2]) << 8 | Int(jpeg[i + 3]))
        }
        return nil
    }

    func expectTruncated(_ error: ImageIOError?, path: String, format: ImageFormat,
                         sourceLocation: SourceLocation = #_sourceLocation) {
        guard case .truncatedData(let p, let f, let message)? = error else {
            Issue.record("expected truncatedData, got \(String(describing: error))", sourceLocation: sourceLocation)
            return
        }
        #expect(p == path && f == format, sourceLocation: sourceLocation)
        #expect(!message.isEmpty, sourceLocation: sourceLocation)
        #expect(error?.description.contains(path) == true, sourceLocation: sourceLocation)
    }

    @Test func truncatedJPEGAt60Percent() throws {
        let dir = try TempDir()
        let bytes = try Fixtures.jpeg()
        let path = try dir.write(Array(bytes.prefix(bytes.count * 6 / 10)), to: "cut.jpg")
        let error = capture { () throws(ImageIOError) in try ImageCodec.decodeFile(atPath: path) }
        expectTruncated(error, path: path, format: .jpeg)
        #expect(error?.description.contains("Premature end of JPEG file") == true)
    }

    @Test func truncatedJPEGWithOnlyHeaders() throws {
        let dir = try TempDir()
        let bytes = try Fixtures.jpeg()
        let headerEnd = try #require(endOfFirstSOSHeader(bytes))
        for (name, cut) in [("sos.jpg", headerEnd), ("mid-header.jpg", headerEnd / 2), ("soi.jpg", 4)] {
            let path = try dir.write(Array(bytes.prefix(cut)), to: name)
            let error = capture { () throws(ImageIOError) in try ImageCodec.decodeFile(atPath: path) }
            expectTruncated(error, path: path, format: .jpeg)
        }
    }

    @Test func truncatedJPEGIsAnErrorEvenWhenToleratingWarnings() throws {
        let bytes = try Fixtures.jpeg()
        let error = capture { () throws(ImageIOError) in
            try ImageCodec.decode(Array(bytes.prefix(bytes.count * 6 / 10)), jpegWarnings: .tolerateRecoverable)
        }
        expectTruncated(error, path: "<memory>", format: .jpeg)
    }

    /// "Corrupt JPEG data: N extraneous bytes before marker 0xd9" is only a
    /// libjpeg warning. Strict mode rejects it; Pillow-compatible mode
    /// returns the same pixels as the clean file.
    @Test func extraneousBytesBeforeEOI() throws {
        let clean = try Fixtures.jpeg()
        let damaged = Array(clean.dropLast(2)) + [0x00, 0x00] + [0xFF, 0xD9]
        let error = capture { () throws(ImageIOError) in try ImageCodec.decode(damaged, source: "x.jpg") }
        guard case .corruptData("x.jpg", .jpeg, let message)? = error else {
            Issue.record("expected corruptData, got \(String(describing: error))")
            return
        }
        #expect(message.contains("extraneous bytes"))
        let tolerated = try ImageCodec.decode(damaged, jpegWarnings: .tolerateRecoverable)
        #expect(tolerated == (try ImageCodec.decode(clean)))
    }

    /// A recoverable warning followed by a fatal error must not be mistaken
    /// for "only warnings" in Pillow-compatible mode (TurboJPEG returns -1
    /// with the warning flag set in both cases).
    @Test func warningThenFatalErrorIsStillAnError() throws {
        let clean = try Fixtures.jpeg()
        let sos = try #require((2..<clean.count - 1).first { clean[$0] == 0xFF && clean[$0 + 1] == 0xDA })
        let bogusDHT: [UInt8] = [0xFF, 0xC4, 0x00, 0x03, 0xFF] // too short for a table: fatal "Bogus marker length"
        let bytes = Array(clean[..<sos]) + [0x00, 0x00] + Array(clean[sos..<(clean.count - 2)]) + bogusDHT + [0xFF, 0xD9]
        for policy in [JPEGWarningPolicy.reject, .tolerateRecoverable] {
            let error = capture { () throws(ImageIOError) in try ImageCodec.decode(bytes, jpegWarnings: policy) }
            guard case .corruptData("<memory>", .jpeg, let message)? = error else {
                Issue.record("\(policy): expected corruptData, got \(String(describing: error))")
                continue
            }
            #expect(message.contains(policy == .reject ? "extraneous bytes" : "Bogus marker length"), "\(message)")
        }
        // Without the bogus table, the same warning alone is tolerated.
        let warningOnly = Array(clean[..<sos]) + [0x00, 0x00] + Array(clean[sos...])
        #expect(try ImageCodec.decode(warningOnly, jpegWarnings: .tolerateRecoverable) == ImageCodec.decode(clean))
    }

    /// Random bytes after the magic: with no EOI in sight this reads as a
    /// stream that ends early, or as corrupt if libjpeg trips first. Either
    /// way a typed error for that file — never a crash or an image.
    @Test func garbageWithJPEGMagic() throws {
        for seed in UInt64(1)...20 {
            var rng = TestRNG(seed: seed)
            let bytes: [UInt8] = [0xFF, 0xD8, 0xFF] + rng.bytes(2000)
            let error = capture { () throws(ImageIOError) in try ImageCodec.decode(bytes, source: "g.jpg") }
            switch error {
            case .corruptData("g.jpg", .jpeg, _)?, .truncatedData("g.jpg", .jpeg, _)?: break
            default: Issue.record("seed \(seed): expected corrupt or truncated, got \(String(describing: error))")
            }
        }
    }

    /// Valid headers and EOI around random scan data: complete but corrupt.
    @Test func garbageScanData() throws {
        let clean = try Fixtures.jpeg()
        let start = try #require(endOfFirstSOSHeader(clean))
        var rng = TestRNG(seed: 5)
        let bytes = Array(clean[..<start]) + rng.bytes(clean.count - start - 2).map { $0 == 0xFF ? 0 : $0 } + [0xFF, 0xD9]
        let error = capture { () throws(ImageIOError) in try ImageCodec.decode(bytes, source: "s.jpg") }
        guard case .corruptData("s.jpg", .jpeg, let message)? = error else {
            Issue.record("expected corruptData, got \(String(describing: error))")
            return
        }
        #expect(message.contains("Corrupt JPEG data") || message.contains("Huffman"))
    }

    @Test func truncatedPNG() throws {
        let dir = try TempDir()
        let bytes = try Fixtures.png()
        for (name, cut) in [("cut.png", bytes.count * 6 / 10), ("ihdr.png", 33), ("sig.png", 8), ("end.png", bytes.count - 12)] {
            let path = try dir.write(Array(bytes.prefix(cut)), to: name)
            let error = capture { () throws(ImageIOError) in try ImageCodec.decodeFile(atPath: path) }
            expectTruncated(error, path: path, format: .png)
        }
    }

    @Test func pngWithBadIDATChecksum() throws {
        var bytes = try Fixtures.png()
        bytes[bytes.count / 2] ^= 0x5A // inside IDAT data: CRC (and likely zlib) mismatch
        let error = capture { () throws(ImageIOError) in try ImageCodec.decode(bytes, source: "bad.png") }
        guard case .corruptData("bad.png", .png, _)? = error else {
            Issue.record("expected corruptData, got \(String(describing: error))")
            return
        }
    }

    @Test func garbageWithPNGMagic() throws {
        var rng = TestRNG(seed: 3)
        let bytes = ImageFormat.pngMagic + rng.bytes(500)
        let error = capture { () throws(ImageIOError) in try ImageCodec.decode(bytes) }
        guard case .corruptData("<memory>", .png, _)? = error else {
            Issue.record("expected corruptData, got \(String(describing: error))")
            return
        }
    }

    @Test func unknownFormat() throws {
        let dir = try TempDir()
        let path = try dir.write(Array("GIF89a, not supported".utf8), to: "x.jpg")
        let error = capture { () throws(ImageIOError) in try ImageCodec.decodeFile(atPath: path) }
        #expect(error == .unknownFormat(path: path, leadingBytes: Array("GIF89a, ".utf8)))
        #expect(error?.description.contains("47 49 46 38 39 61 2c 20") == true)
    }

    @Test func missingFile() throws {
        let dir = try TempDir()
        let path = dir.file("nope.jpg")
        let error = capture { () throws(ImageIOError) in try ImageCodec.decodeFile(atPath: path) }
        guard case .unreadableFile(path, let reason)? = error else {
            Issue.record("expected unreadableFile, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("No such file"))
        #expect(error?.description.contains(path) == true)
    }

    @Test func directoryIsUnreadable() throws {
        let dir = try TempDir()
        let error = capture { () throws(ImageIOError) in try ImageCodec.decodeFile(atPath: dir.path) }
        guard case .unreadableFile(dir.path, _)? = error else {
            Issue.record("expected unreadableFile, got \(String(describing: error))")
            return
        }
    }

    @Test func emptyFile() throws {
        let dir = try TempDir()
        let path = try dir.write([], to: "empty.png")
        let error = capture { () throws(ImageIOError) in try ImageCodec.decodeFile(atPath: path) }
        #expect(error == .emptyData(path: path))
    }

    /// A forged SOF claiming 60000x60000 is refused from the header alone.
    @Test func hugeJPEGRefusedBeforeAllocating() throws {
        var bytes = try Fixtures.jpeg()
        let sof = try #require((2..<bytes.count - 1).first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xC0 })
        // FF C0, length(2), precision(1), height(2), width(2)
        bytes.replaceSubrange((sof + 5)...(sof + 8), with: [0xEA, 0x60, 0xEA, 0x60])
        let error = capture { () throws(ImageIOError) in try ImageCodec.decode(bytes) }
        #expect(error == .dimensionsTooLarge(path: "<memory>", width: 60000, height: 60000,
                                             maxPixels: ImageCodec.maxPixelCount))
    }

    /// A PNG whose IHDR (with a valid CRC) claims 20000x20000.
    @Test func hugePNGRefusedBeforeAllocating() throws {
        var bytes = try Fixtures.png()
        bytes.replaceSubrange(16..<24, with: [0, 0, 0x4E, 0x20, 0, 0, 0x4E, 0x20])
        let crc = crc32(bytes[12..<29])
        bytes.replaceSubrange(29..<33, with: [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: crc >> $0) })
        let error = capture { () throws(ImageIOError) in try ImageCodec.decode(bytes) }
        #expect(error == .dimensionsTooLarge(path: "<memory>", width: 20000, height: 20000,
                                             maxPixels: ImageCodec.maxPixelCount))
    }
}
