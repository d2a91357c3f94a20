import Foundation
import Tensors
import Testing
import TestSupport
@testable import TorchFormat

/// `TorchWriter`: round trip through our reader, the zip layout PyTorch expects, and — when Debian's
/// `python3-torch` is installed — `torch.load(..., weights_only=True)` in PyTorch itself.
@Suite struct WriterTests {
    static func sampleStateDict() -> StateDict {
        var dict = StateDict()
        dict["conv1.0.weight"] = .float(Tensor(shape: [2, 3, 1, 1], storage: [1.5, -2, 0, .pi, -0.0, 1e-30]))
        dict["conv1.1.running_var"] = .float(Tensor(shape: [2], storage: [.greatestFiniteMagnitude, .leastNonzeroMagnitude]))
        dict["conv1.1.num_batches_tracked"] = .int64(shape: [], values: [3_000_000_000])
        dict["empty"] = .float(Tensor(shape: [0, 4]))
        dict["scalar"] = .float(Tensor(shape: [], storage: [7]))
        return dict
    }

    @Test func roundTripsThroughOurReader() throws {
        let dict = Self.sampleStateDict()
        let dir = try makeTemporaryDirectory("torchwriter")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("weights out.pth").path
        try TorchWriter.write(dict, to: path)
        let checkpoint = try TorchCheckpoint.read(contentsOf: path)
        #expect(checkpoint.isBareStateDict)
        #expect(checkpoint.file.format == .zip)
        #expect(checkpoint.file.archivePrefix == "weights_out/")
        #expect(checkpoint.file.globals == ["collections.OrderedDict", "torch._utils._rebuild_tensor_v2",
                                            "torch.FloatStorage", "torch.LongStorage"])
        let back = checkpoint.stateDict.stateDict()
        #expect(back.keys == dict.keys)
        for key in dict.keys { #expect(back[key] == dict[key], "\(key)") }
        // Bit patterns survive, including -0 and subnormals.
        #expect(checkpoint.stateDict["conv1.0.weight"]?.floats()[4].sign == .minus)
    }

    @Test func entriesAreStoredAndSixtyFourByteAligned() throws {
        let data = try TorchWriter.stateDictArchive(
            [TorchStateEntry(key: "a", tensor: TorchTensor(float32: [1, 2, 3], shape: [3]))], archiveName: "x")
        let bytes = [UInt8](data)
        var offset = 0
        var names: [String] = []
        while offset + 30 <= bytes.count, bytes[offset..<(offset + 4)].elementsEqual([0x50, 0x4B, 0x03, 0x04]) {
            let nameLength = Int(bytes[offset + 26]) | Int(bytes[offset + 27]) << 8
            let extraLength = Int(bytes[offset + 28]) | Int(bytes[offset + 29]) << 8
            let size = (0..<4).reduce(0) { $0 | Int(bytes[offset + 18 + $1]) << (8 * $1) }
            let dataStart = offset + 30 + nameLength + extraLength
            #expect(dataStart % 64 == 0)
            #expect(bytes[offset + 8] == 0, "stored, not compressed")
            names.append(String(decoding: bytes[(offset + 30)..<(offset + 30 + nameLength)], as: UTF8.self))
            offset = dataStart + size
        }
        #expect(names == ["x/data.pkl", "x/data/0", "x/version", "x/byteorder"])
    }

    @Test func largeStateDictsUseSeveralSetItemsBatches() throws {
        let entries = (0..<2500).map { TorchStateEntry(key: "p\($0)", tensor: TorchTensor(int64: [Int64($0)], shape: [1])) }
        let file = try TorchFile.read(data: try TorchWriter.stateDictArchive(entries, archiveName: "many"), source: "many")
        let dict = try #require(file.object.dictionary)
        #expect(dict.count == 2500)
        #expect(dict["p2499"]?.tensor?.int64s() == [2499])
    }

    static let python = "/usr/bin/python3"
    static let torchAvailable: Bool = {
        guard FileManager.default.isExecutableFile(atPath: python) else { return false }
        return (try? runPython("import torch")).map { $0.status == 0 } ?? false
    }()

    static func runPython(_ script: String) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", script]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    @Test(.enabled(if: torchAvailable, "needs Debian's python3-torch at /usr/bin/python3 (import torch failed); skipped"))
    func pyTorchLoadsItWithWeightsOnly() throws {
        let dict = Self.sampleStateDict()
        let dir = try makeTemporaryDirectory("torchwriter")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("exported.pth").path
        try TorchWriter.write(dict, to: path)
        let script = """
        import torch, json
        sd = torch.load(\(PythonText.reprString(path)), weights_only=True)
        assert type(sd).__name__ == 'OrderedDict', type(sd)
        out = {k: [str(v.dtype), list(v.shape), v.contiguous().numpy().tobytes().hex()] for k, v in sd.items()}
        print(json.dumps(out))
        """
        let (status, output) = try Self.runPython(script)
        #expect(status == 0, "\(output)")
        guard status == 0, let line = output.split(separator: "\n").last,
              let parsed = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: [Any]] else { return }
        #expect(Set(parsed.keys) == Set(dict.keys))
        for key in dict.keys {
            guard let row = parsed[key], row.count == 3 else { Issue.record("\(key) missing"); continue }
            let ours = try #require(TorchCheckpoint.read(contentsOf: path).stateDict[key])
            #expect(row[0] as? String == (ours.dtype == .int64 ? "torch.int64" : "torch.float32"), "\(key)")
            #expect(row[1] as? [Int] == ours.shape, "\(key)")
            #expect(row[2] as? String == ours.contiguousBytes().map { String(format: "%02x", $0) }.joined(), "\(key)")
        }
    }
}
