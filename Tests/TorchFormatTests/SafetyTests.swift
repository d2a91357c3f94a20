import Foundation
import Testing
@testable import TorchFormat

/// Crafted hostile and malformed files: each must give a `TorchFormatError` that says what is wrong,
/// never a crash and never an allocation the file cannot justify.
@Suite struct SafetyTests {
    func read(_ data: Data, _ name: String = "crafted.pth") -> Result<TorchFile, TorchFormatError> {
        do { return .success(try TorchFile.read(data: data, source: name)) } catch { return .failure(error) }
    }

    func expectError(_ data: Data, _ contains: String, sourceLocation: SourceLocation = #_sourceLocation) {
        switch read(data) {
        case .success: Issue.record("read succeeded; expected an error containing '\(contains)'", sourceLocation: sourceLocation)
        case .failure(let error):
            #expect(error.description.contains(contains), "\(error)", sourceLocation: sourceLocation)
            #expect(error.description.hasPrefix("crafted.pth: "), sourceLocation: sourceLocation)
        }
    }

    /// `os.system("echo pwned")`: the classic malicious pickle.
    static func systemCall(module: String = "os", name: String = "system") -> [UInt8] {
        var p = PickleBytes()
        p.global(module, name)
        p.string("echo pwned")
        p.op(0x85)
        p.reduce()
        p.stop()
        return p.bytes
    }

    @Test func legacyFileNamingOSSystemIsRefused() throws {
        let data = try CraftedFiles.legacy(object: Self.systemCall(), keys: [], storages: [])
        guard case .failure(let error) = read(data) else { Issue.record("accepted os.system"); return }
        #expect(error.refusedGlobal == "os.system")
        #expect(error.description.contains("refused global os.system"))
        #expect(error.part == "object pickle")
    }

    @Test func aBarePickleNamingOSSystemIsRefusedToo() {
        guard case .failure(let error) = read(Data(Self.systemCall())) else { Issue.record("accepted os.system"); return }
        #expect(error.refusedGlobal == "os.system")
    }

    @Test func zipFileNamingOSSystemIsRefused() throws {
        let data = try CraftedFiles.zip(dataPkl: Self.systemCall(), storages: [])
        guard case .failure(let error) = read(data) else { Issue.record("accepted os.system"); return }
        #expect(error.refusedGlobal == "os.system")
        #expect(error.description.contains("refused global os.system"))
        #expect(error.part == "archive/data.pkl")
    }

    @Test(arguments: [("builtins", "eval"), ("subprocess", "Popen"), ("posix", "system"), ("torch", "load"),
                      ("torch._utils", "_rebuild_qtensor"), ("collections", "defaultdict"), ("numpy", "load")])
    func anyGlobalOffTheListIsRefused(_ global: (String, String)) throws {
        expectError(try CraftedFiles.zip(dataPkl: Self.systemCall(module: global.0, name: global.1), storages: []),
                    "refused global \(global.0).\(global.1)")
    }

    @Test func stackGlobalIsResolvedThroughTheSameList() throws {
        var p = PickleBytes()
        p.string("os"); p.string("system"); p.op(0x93); p.string("id"); p.op(0x85); p.reduce(); p.stop()
        expectError(try CraftedFiles.zip(dataPkl: p.bytes, storages: []), "refused global os.system")
    }

    @Test func placeholderClassesStayInert() throws {
        // NEWOBJ + BUILD of ConfigParser, REDUCE of PosixPath: records, nothing run.
        var p = PickleBytes()
        p.global("parse_config", "ConfigParser"); p.op(0x29, 0x81)
        p.op(0x7D); p.string("cfg_fname")
        p.global("pathlib", "PosixPath"); p.mark(); p.string("/"); p.string("etc"); p.string("passwd"); p.tuple(); p.reduce()
        p.op(0x73, 0x62); p.stop()
        let file = try TorchFile.read(data: try CraftedFiles.zip(dataPkl: p.bytes, storages: []), source: "crafted.pth")
        let object = try #require(file.object.object)
        #expect(object.className == "parse_config.ConfigParser")
        #expect(object.attributes?["cfg_fname"]?.object?.pathString == "/etc/passwd")
    }

    @Test func unsupportedOpcodesAreNamed() throws {
        var p = PickleBytes()
        p.op(0x49); p.bytes += Array("1\n".utf8); p.stop() // INT (protocol 0)
        expectError(try CraftedFiles.zip(dataPkl: p.bytes, storages: []), "unsupported pickle opcode 0x49")
        var ext = PickleBytes()
        ext.op(0x82, 1); ext.stop() // EXT1: the copyreg extension registry
        expectError(try CraftedFiles.zip(dataPkl: ext.bytes, storages: []), "unsupported pickle opcode 0x82")
    }

    @Test func lengthsBeyondTheDataAreTruncationNotAllocation() throws {
        var p = PickleBytes()
        p.op(0x58, 0xFF, 0xFF, 0xFF, 0x7F) // BINUNICODE of 2 GiB
        expectError(try CraftedFiles.zip(dataPkl: p.bytes, storages: []), "truncated")
        var b = PickleBytes()
        b.op(0x8E, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF) // BINBYTES8 of 2^64-1
        expectError(try CraftedFiles.zip(dataPkl: b.bytes, storages: []), "truncated")
        var l = PickleBytes()
        l.op(0x8B, 0x00, 0x00, 0x00, 0x40) // LONG4 of 1 GiB
        expectError(try CraftedFiles.zip(dataPkl: l.bytes, storages: []), "truncated")
    }

    @Test func deepNestingAndLaughsAndCyclesHitLimits() throws {
        // 10 000 nested lists: refused at maxNesting, and freed without recursion.
        var deep = PickleBytes()
        for _ in 0..<10_000 { deep.op(0x5D) }
        for _ in 0..<9_999 { deep.op(0x61) }
        deep.stop()
        expectError(try CraftedFiles.zip(dataPkl: deep.bytes, storages: []), "nested deeper than")
        // Billion laughs: each list holds the previous one 10 times.
        var laughs = PickleBytes()
        laughs.string("lol"); laughs.op(0x71, 0)
        for level in 1...9 {
            laughs.mark(); for _ in 0..<10 { laughs.op(0x68, UInt8(level - 1)) }; laughs.op(0x6C, 0x71, UInt8(level))
        }
        laughs.stop()
        expectError(try CraftedFiles.zip(dataPkl: laughs.bytes, storages: []), "shared references")
        // A list that contains itself.
        var cycle = PickleBytes()
        cycle.op(0x5D, 0x71, 0, 0x68, 0, 0x61); cycle.stop()
        expectError(try CraftedFiles.zip(dataPkl: cycle.bytes, storages: []), "contains itself")
        // Memo index never stored.
        var memo = PickleBytes()
        memo.op(0x68, 7); memo.stop()
        expectError(try CraftedFiles.zip(dataPkl: memo.bytes, storages: []), "memo index 7")
    }

    @Test func containerAndStackCountsAreBounded() throws {
        var limits = TorchReadLimits()
        limits.maxContainers = 1_000
        limits.maxStackItems = 1_000
        func refused(_ body: [UInt8], _ message: String) throws {
            var p = PickleBytes()
            p.bytes += body
            p.stop()
            let data = try CraftedFiles.zip(dataPkl: p.bytes, storages: [])
            #expect(throws: TorchFormatError.self) { try TorchFile.read(data: data, source: "crafted.pth", limits: limits) }
            do { _ = try TorchFile.read(data: data, source: "crafted.pth", limits: limits) } catch {
                #expect(error.description.contains(message), "\(error)")
            }
        }
        try refused([UInt8](repeating: 0x7D, count: 2_000), "more than 1000 containers")
        try refused([UInt8](repeating: 0x4E, count: 2_000), "values and marks on the pickle stack")
        try refused([UInt8](repeating: 0x28, count: 2_000), "values and marks on the pickle stack")
    }

    @Test func storagesMustBeBackedByTheFile() throws {
        // A storage claiming a billion floats in a tiny file.
        var p = PickleBytes()
        p.tensor(key: "0", numel: 1_000_000_000, size: [10], stride: [1], legacy: false); p.stop()
        expectError(try CraftedFiles.zip(dataPkl: p.bytes, storages: [("0", [])]), "more than the file")
        // The entry is shorter than declared.
        var q = PickleBytes()
        q.tensor(key: "0", numel: 4, size: [4], stride: [1], legacy: false); q.stop()
        expectError(try CraftedFiles.zip(dataPkl: q.bytes, storages: [("0", CraftedFiles.floatBytes([1, 2]))]), "declared")
        // No entry at all.
        expectError(try CraftedFiles.zip(dataPkl: q.bytes, storages: []), "no entry archive/data/0")
        // Legacy: element count in the file disagrees with the persistent id, or the data is cut short.
        var r = PickleBytes()
        r.tensor(key: "k", numel: 4, size: [4], stride: [1], legacy: true); r.stop()
        expectError(try CraftedFiles.legacy(object: r.bytes, keys: ["k"], storages: [(3, CraftedFiles.floatBytes([1, 2, 3]))]),
                    "3 elements stored, 4 declared")
        expectError(try CraftedFiles.legacy(object: r.bytes, keys: ["k"], storages: [(4, CraftedFiles.floatBytes([1, 2]))]),
                    "truncated")
        expectError(try CraftedFiles.legacy(object: r.bytes, keys: [], storages: []), "has no data")
    }

    @Test func tensorGeometryMustStayInsideItsStorage() throws {
        func zipTensor(offset: Int = 0, size: [Int], stride: [Int]) throws -> Data {
            var p = PickleBytes()
            p.tensor(key: "0", numel: 6, offset: offset, size: size, stride: stride, legacy: false); p.stop()
            return try CraftedFiles.zip(dataPkl: p.bytes, storages: [("0", CraftedFiles.floatBytes([1, 2, 3, 4, 5, 6]))])
        }
        expectError(try zipTensor(size: [3, 3], stride: [3, 1]), "reaches element 8")
        expectError(try zipTensor(offset: 5, size: [2], stride: [1]), "reaches element 6")
        expectError(try zipTensor(size: [2], stride: [-1]), "negative")
        expectError(try zipTensor(size: [2000, 1000, 4], stride: [0, 0, 1]), "expands a storage")
        // A transposed view and an expanded (stride 0) view inside bounds are fine.
        let transposed = try TorchFile.read(data: try zipTensor(size: [3, 2], stride: [1, 3]), source: "t").object.tensor
        #expect(transposed?.floats() == [1, 4, 2, 5, 3, 6])
        let expanded = try TorchFile.read(data: try zipTensor(offset: 1, size: [2, 3], stride: [0, 1]), source: "e").object.tensor
        #expect(expanded?.floats() == [2, 3, 4, 2, 3, 4])
        // Legacy view metadata: a window of the storage.
        var v = PickleBytes()
        v.tensor(key: "k", numel: 6, offset: 1, size: [2], stride: [1], legacy: true, view: (2, 3)); v.stop()
        let viewed = try TorchFile.read(data: try CraftedFiles.legacy(object: v.bytes, keys: ["k"],
                                                                       storages: [(6, CraftedFiles.floatBytes([1, 2, 3, 4, 5, 6]))]), source: "v")
        #expect(viewed.object.tensor?.floats() == [4, 5])
    }

    @Test func damagedZipContainersAreReported() throws {
        var p = PickleBytes()
        p.tensor(key: "0", numel: 2, size: [2], stride: [1], legacy: false); p.stop()
        let good = [UInt8](try CraftedFiles.zip(dataPkl: p.bytes, storages: [("0", CraftedFiles.floatBytes([1, 2]))]))
        #expect(try TorchFile.read(data: Data(good), source: "ok").object.tensor?.floats() == [1, 2])
        // Flip a bit of the stored floats: the CRC catches it.
        var flipped = good
        let dataStart = try #require(findSubsequence(good, CraftedFiles.floatBytes([1, 2])))
        flipped[dataStart + 1] ^= 0x10
        expectError(Data(flipped), "CRC-32 mismatch")
        // A compressed entry (method 8) is refused before ZIPFoundation would inflate it.
        var compressed = good
        let central = try #require(findSubsequence(good, [0x50, 0x4B, 0x01, 0x02]))
        compressed[central + 10] = 8
        expectError(Data(compressed), "compressed")
        // A central directory pointing past the end of the file.
        var outside = good
        let end = try #require(findSubsequence(good, [0x50, 0x4B, 0x05, 0x06]))
        outside[end + 16] = 0xFF; outside[end + 17] = 0xFF; outside[end + 18] = 0xFF
        expectError(Data(outside), "outside the file")
        expectError(Data(good.prefix(good.count - 30)), "no end-of-central-directory record")
    }

    @Test func notATorchFileIsSaidPlainly() {
        expectError(Data("hello".utf8), "not a PyTorch file")
        expectError(Data(), "empty file")
        var notMagic = PickleBytes()
        notMagic.op(0x8A, 1, 5); notMagic.stop()
        expectError(Data(notMagic.bytes), "not the legacy magic number")
    }

    func findSubsequence(_ haystack: [UInt8], _ needle: [UInt8]) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        return (0...(haystack.count - needle.count)).first { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}
