import Foundation
import Testing
@testable import TorchFormat

/// Pickles of the later protocols a user gets by re-saving with `pickle_protocol=4` or 5: framing,
/// `SHORT_BINUNICODE`, `MEMOIZE`, `STACK_GLOBAL`, and `nn.Parameter` via `_rebuild_parameter`.
@Suite struct ProtocolTests {
    @Test func protocolFourOpcodesAndParameters() throws {
        var body = PickleBytes(bytes: [])
        func short(_ s: String) { body.op(0x8C, UInt8(s.utf8.count)); body.bytes += Array(s.utf8); body.op(0x94) }
        short("collections"); short("OrderedDict"); body.op(0x93, 0x94)          // memo 2: OrderedDict
        body.op(0x29, 0x52, 0x94)                                                  // the dict
        short("w")
        short("torch._utils"); short("_rebuild_parameter"); body.op(0x93, 0x94)
        short("torch._utils"); short("_rebuild_tensor_v2"); body.op(0x93, 0x94)
        body.mark(); body.mark()
        short("storage"); short("torch"); short("FloatStorage"); body.op(0x93, 0x94)
        short("0"); short("cpu"); body.op(0x4B, 6, 0x74, 0x51)
        body.op(0x4B, 1, 0x4B, 2, 0x4B, 2, 0x86, 0x4B, 1, 0x4B, 2, 0x86, 0x89) // offset 1, size (2, 2), stride (1, 2)
        body.op(0x68, 2, 0x29, 0x52, 0x74, 0x52)                                   // hooks; _rebuild_tensor_v2
        body.op(0x88, 0x68, 2, 0x29, 0x52, 0x87, 0x52)                             // (t, True, hooks); _rebuild_parameter
        body.op(0x73, 0x2E)
        var pickle: [UInt8] = [0x80, 0x04, 0x95]
        pickle += (0..<8).map { UInt8((UInt64(body.bytes.count) >> (8 * UInt64($0))) & 0xFF) }
        pickle += body.bytes
        let data = try CraftedFiles.zip(dataPkl: pickle, storages: [("0", CraftedFiles.floatBytes([0, 1, 2, 3, 4, 5]))])
        let file = try TorchFile.read(data: data, source: "p4")
        let w = try #require(file.object["w"]?.tensor)
        #expect(w.requiresGrad)
        #expect(w.shape == [2, 2])
        #expect(w.floats() == [1, 3, 2, 4])
        #expect(file.globals == ["collections.OrderedDict", "torch._utils._rebuild_parameter",
                                 "torch._utils._rebuild_tensor_v2", "torch.FloatStorage"])
    }

    /// Files PyTorch itself writes with protocols 2, 4 and 5, legacy and zip, holding parameters,
    /// views, every dtype and a nested container. Needs Debian's python3-torch.
    @Test(.enabled(if: WriterTests.torchAvailable, "needs Debian's python3-torch at /usr/bin/python3 (import torch failed); skipped"),
          arguments: [(2, false), (2, true), (4, false), (4, true), (5, true)])
    func filesPyTorchWritesWithOtherProtocols(_ protocolVersion: Int, _ zipFormat: Bool) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("torchformat-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("p.pth").path
        let script = """
        import torch, collections
        base = torch.arange(12, dtype=torch.float32)
        sd = collections.OrderedDict()
        sd['param'] = torch.nn.Parameter(base.view(3, 4))
        sd['view'] = base.view(3, 4).t()[1:]
        for name, dtype in [('f64', torch.float64), ('f16', torch.float16), ('bf16', torch.bfloat16), ('i32', torch.int32),
                            ('i16', torch.int16), ('i8', torch.int8), ('u8', torch.uint8), ('b', torch.bool)]:
            sd[name] = (torch.arange(4) - 1).to(dtype)
        sd['nested'] = {'t': (base[:2], {1, 2}), 'big': 2**70, 'bytes': b'\\x00\\xff'}
        torch.save(sd, \(PythonText.reprString(path)), pickle_protocol=\(protocolVersion), _use_new_zipfile_serialization=\(zipFormat ? "True" : "False"))
        """
        let (status, output) = try WriterTests.runPython(script)
        #expect(status == 0, "\(output)")
        guard status == 0 else { return }
        let file = try TorchFile.read(contentsOf: path)
        #expect(file.format == (zipFormat ? .zip : .legacy))
        let object = file.object
        #expect(object["param"]?.tensor?.floats() == (0..<12).map(Float.init))
        #expect(object["view"]?.tensor?.shape == [3, 3])
        #expect(object["view"]?.tensor?.floats() == [1, 5, 9, 2, 6, 10, 3, 7, 11])
        for name in ["f64", "f16", "bf16"] { #expect(object[name]?.tensor?.doubles() == [-1, 0, 1, 2], "\(name)") }
        for name in ["i32", "i16", "i8"] { #expect(object[name]?.tensor?.int64s() == [-1, 0, 1, 2], "\(name)") }
        #expect(object["u8"]?.tensor?.int64s() == [255, 0, 1, 2])
        #expect(object["b"]?.tensor?.int64s() == [1, 0, 1, 1])
        #expect(object.lookup("nested", "big") == .bigInt("1180591620717411303424"))
        #expect(object.lookup("nested", "bytes") == .bytes([0, 255]))
        guard case .tuple(let pair)? = object.lookup("nested", "t") else { Issue.record("no tuple"); return }
        #expect(pair.first?.tensor?.floats() == [0, 1])
        #expect(pair.last?.elements?.count == 2)
    }
}
