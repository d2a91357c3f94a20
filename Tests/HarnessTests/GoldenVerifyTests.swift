import Foundation
import Testing
import Harness
import Tensors
import TestSupport

@Suite(.serialized) struct GoldenVerifyTests {
    @Test func referenceSmallNetFilePassesEveryCheck() {
        let report = ComputeThreads.withCount(2) { GoldenVerifier.verify(directory: Fixtures.golden) }
        let smallnet = report.checks.filter { $0.file == "smallnet.h5" }
        #expect(smallnet.count > 100)
        for check in smallnet where check.outcome != .pass {
            Issue.record("\(check.name): \(check.outcome) \(check.detail ?? "")")
        }
        // Every group and every kind of stored output is covered.
        for needle in ["c3/eval/output", "c16/eval/intermediates/conv4", "c64/train/grad_input",
                       "c16/train/grads/conv3.0.weight", "c16/train/grads/conv3.0.bias",
                       "c16/train/running_after/conv5.1.running_var", "c64/num_parameters", "c3/train/loss"] {
            #expect(smallnet.contains { $0.name == needle }, "no check named \(needle)")
        }
    }

    @Test func fixtureFilesAreByteIdenticalToTheManifest() {
        let report = GoldenVerifier.verify(directory: Fixtures.golden)
        let integrity = report.checks.filter { $0.file == "MANIFEST.json" }
        #expect(integrity.count == 13)
        #expect(integrity.allSatisfy { $0.outcome == .pass }, "\(integrity.filter { $0.outcome != .pass })")
    }

    @Test func theReferenceSetIsCoveredCompletely() {
        let report = GoldenVerifier.verify(directory: Fixtures.golden)
        #expect(report.uncovered.isEmpty, "\(report.uncovered.map(\.file))")
        #expect(GoldenTable(report).summary.hasSuffix("every file covered"))
    }

    @Test func filesThisBuildCannotRecomputeAreNotCoveredNeverPassed() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.copyItem(at: Fixtures.goldenAlt.appendingPathComponent("smallnet.h5"),
                                         to: dir.appendingPathComponent("smallnet.h5"))
        try Data("not a golden file".utf8).write(to: dir.appendingPathComponent("future-model.h5"))
        let report = GoldenVerifier.verify(directory: dir)
        let uncovered = Set(report.uncovered.map(\.file))
        #expect(uncovered == ["future-model.h5"])
        #expect(GoldenTable(report).summary.hasSuffix("1 files not covered"))
        for file in uncovered {
            #expect(!report.checks.contains { $0.file == file && $0.outcome == .pass }, "\(file) passed a check")
        }
    }

    @Test func aSetWithOtherSizesAndSeedPasses() {
        let report = ComputeThreads.withCount(2) { GoldenVerifier.verify(directory: Fixtures.goldenAlt) }
        #expect(report.passed, "\(report.failures.map { "\($0.name): \($0.detail ?? "")" })")
        #expect(report.checks.contains { $0.name == "c32/eval/intermediates/conv5" })
        #expect(report.checks.count > 60)
    }

    @Test func aCorruptedCopyFailsIntegrityAndTheNumbersReportTheDamage() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in ["smallnet.h5", "MANIFEST.json"] {
            try FileManager.default.copyItem(at: Fixtures.goldenAlt.appendingPathComponent(name),
                                             to: dir.appendingPathComponent(name))
        }
        let h5 = dir.appendingPathComponent("smallnet.h5")
        var bytes = try Data(contentsOf: h5)
        bytes = bytes.prefix(bytes.count / 2)
        try bytes.write(to: h5)
        let report = GoldenVerifier.verify(directory: dir)
        #expect(!report.passed)
        let integrity = report.checks.first { $0.file == "MANIFEST.json" }
        #expect(integrity?.outcome == .fail)
        let opened = report.checks.first { $0.file == "smallnet.h5" }
        #expect(opened?.outcome == .fail)
        #expect(opened?.detail?.contains("smallnet.h5") == true)
    }

    @Test func anEmptyDirectoryFails() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(!GoldenVerifier.verify(directory: dir).passed)
    }

    @Test func tableLinesCarryFileCheckErrorsToleranceAndVerdict() {
        let report = GoldenVerifier.verify(directory: Fixtures.goldenAlt)
        let lines = GoldenTable(report).lines()
        let line = lines.first { $0.contains("c32/eval/output") }!
        #expect(line.hasPrefix("smallnet.h5"))
        #expect(line.contains("max_abs="))
        #expect(line.contains("rel_to_max="))
        #expect(line.contains("tol=scaled(0.0001)"))
        #expect(line.hasSuffix("PASS"))
    }
}

@Suite struct SHA256Tests {
    @Test func knownVectors() {
        #expect(SHA256.hexDigest([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hexDigest(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let long = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        #expect(SHA256.hexDigest(long) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hexDigest([UInt8](repeating: 0x61, count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}
