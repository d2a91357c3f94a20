import Foundation
import Testing
@testable import Harness

/// Malformed manifests: each error names the file, the line and the field.
@Suite struct ManifestErrorTests {
    static let validPath = "T01-learned-embeddings/celeba-smallnet-3d-dve--matching.yaml"
    static let hourglassPath = "T01-learned-embeddings/celeba-hourglass-64d-dve--matching.yaml"

    /// Parses `text` and returns the issues it raised (failing the test if it parsed).
    func issues(_ text: String, file: String = "bad.yaml") -> [ManifestIssue] {
        do {
            _ = try ManifestFixtures.loader.parse(text, file: file)
            Issue.record("expected \(file) to be rejected")
            return []
        } catch {
            return error.issues
        }
    }

    /// `text` with the first occurrence of `old` (a whole line's content) replaced.
    func edited(_ old: String, _ new: String, in path: String = validPath) throws -> String {
        let text = try ManifestFixtures.text(path)
        let range = try #require(text.range(of: old), "\(old) not in \(path)")
        return text.replacingCharacters(in: range, with: new)
    }

    func expectIssue(_ found: [ManifestIssue], kind: ManifestIssue.Kind, field: String, line: Int?,
                     sourceLocation: SourceLocation = #_sourceLocation) {
        guard let issue = found.first(where: { $0.field.description == field }) else {
            Issue.record("no issue for \(field); got \(found.map(\.description))", sourceLocation: sourceLocation)
            return
        }
        #expect(issue.kind == kind, sourceLocation: sourceLocation)
        #expect(issue.line == line, "\(issue)", sourceLocation: sourceLocation)
        #expect(issue.file == "bad.yaml", sourceLocation: sourceLocation)
        #expect(issue.description.hasPrefix("bad.yaml:\(line.map(String.init) ?? "")"), sourceLocation: sourceLocation)
        #expect(issue.description.contains(field), sourceLocation: sourceLocation)
    }

    @Test func theUneditedFileParses() throws {
        let manifest = try ManifestFixtures.loader.parse(try ManifestFixtures.text(Self.validPath), file: "good.yaml")
        #expect(manifest.id == "T01/celeba-smallnet-3d-dve/matching")
    }

    @Test func wrongType() throws {
        let text = try edited("embedding_dim: 3", "embedding_dim: three")
        expectIssue(issues(text), kind: .wrongType, field: "model.embedding_dim",
                    line: ManifestFixtures.line(of: "embedding_dim:", in: text))
        let list = try edited("milestones: [70, 90]", "milestones: {a: 1}")
        expectIssue(issues(list), kind: .wrongType, field: "model.recipe.schedule.milestones",
                    line: ManifestFixtures.line(of: "milestones:", in: list))
    }

    @Test func unknownKey() throws {
        let text = try edited("embedding_dim: 3", "embeding_dim: 3")
        expectIssue(issues(text), kind: .unknownKey, field: "model.embeding_dim",
                    line: ManifestFixtures.line(of: "embeding_dim:", in: text))
        // Inside a list item, and an extra key next to valid ones.
        let nested = try edited("      relative: 0.05\n", "      relative: 0.05\n      relativ: 0.1\n")
        expectIssue(issues(nested), kind: .unknownKey, field: "metrics[0].train_tolerance.relativ",
                    line: ManifestFixtures.line(of: "relativ:", in: nested))
    }

    @Test func badEnum() throws {
        let text = try edited("architecture: smallnet", "architecture: smalnet")
        expectIssue(issues(text), kind: .invalidValue, field: "model.architecture",
                    line: ManifestFixtures.line(of: "architecture:", in: text))
        let better = try edited("better: lower", "better: smaller")
        expectIssue(issues(better), kind: .invalidValue, field: "metrics[0].better",
                    line: ManifestFixtures.line(of: "better:", in: better))
    }

    @Test func missingField() throws {
        let text = try edited("    contents: embedding\n", "")
        expectIssue(issues(text), kind: .missingField, field: "model.checkpoint.contents",
                    line: ManifestFixtures.line(of: "checkpoint:", in: text))
        let rule = try edited("      rule: \"train:", "      note: \"train:")
        // The unknown key is found before the missing one (structure first).
        expectIssue(issues(rule), kind: .unknownKey, field: "metrics[0].train_tolerance.note",
                    line: ManifestFixtures.line(of: "note:", in: rule))
        let warps = try edited("  warps: mafl.h5\n", "")
        expectIssue(issues(warps), kind: .missingField, field: "protocol.warps",
                    line: ManifestFixtures.line(of: "protocol:", in: warps))
    }

    @Test func duplicateID() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dup-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = try ManifestFixtures.text(Self.validPath)
        try Data(text.utf8).write(to: directory.appendingPathComponent("a.yaml"))
        try Data(text.utf8).write(to: directory.appendingPathComponent("b.yaml"))
        do {
            _ = try ManifestFixtures.loader.load(folder: directory.path)
            Issue.record("duplicate ids accepted")
        } catch {
            let issue = try #require(error.first)
            #expect(issue.kind == .duplicateID)
            #expect(issue.file.hasSuffix("b.yaml"))
            #expect(issue.field.description == "id")
            #expect(issue.line == ManifestFixtures.line(of: "id: T01", in: text))
            #expect(issue.message.contains("a.yaml"))
        }
    }

    @Test func numbersSizesAndFiles() throws {
        let nan = try edited("      absolute: 0.015", "      absolute: .nan")
        expectIssue(issues(nan), kind: .invalidValue, field: "metrics[0].tolerance.absolute",
                    line: ManifestFixtures.line(of: "absolute: .nan", in: nan))
        let negative = try edited("      relative: 0.05", "      relative: -0.05")
        expectIssue(issues(negative), kind: .invalidValue, field: "metrics[0].train_tolerance.relative",
                    line: ManifestFixtures.line(of: "relative: -0.05", in: negative))
        let batch = try edited("batch_pairs: 32", "batch_pairs: 0")
        expectIssue(issues(batch), kind: .invalidValue, field: "model.recipe.batch_pairs",
                    line: ManifestFixtures.line(of: "batch_pairs:", in: batch))
        let warps = try edited("warps: mafl.h5", "warps: aflw.h5")
        expectIssue(issues(warps), kind: .invalidValue, field: "protocol.warps",
                    line: ManifestFixtures.line(of: "warps:", in: warps))
        // 136 − 2·18 = 100 is not a multiple of 32.
        let crop = try edited("    crop: 20\n    seed", "    crop: 18\n    seed", in: Self.hourglassPath)
        #expect(issues(crop).contains { $0.field.description == "model.recipe.crop" && $0.message.contains("32") })
    }

    @Test func warpsFileMustExist() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("root-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let loader = ManifestLoader(repositoryRoot: directory)
        let text = try ManifestFixtures.text(Self.validPath)
        do {
            _ = try loader.parse(text, file: "bad.yaml")
            Issue.record("a missing warps file was accepted")
        } catch {
            #expect(error.issues.map(\.field.description) == ["protocol.warps"])
            #expect(error.issues.first?.message.contains("does not exist") == true)
        }
    }

    @Test func syntaxErrorsAndDuplicatedKeys() throws {
        let broken = try edited("  dve: true\n", "  dve: true\n dve2: [\n")
        let syntax = issues(broken)
        #expect(syntax.first?.kind == .syntax && syntax.first?.line != nil)
        let duplicated = try edited("  dve: true\n", "  dve: true\n  dve: false\n")
        let found = issues(duplicated)
        #expect(found.first?.kind == .syntax && found.first?.message.contains("dve") == true)
        #expect(issues("").first?.kind == .syntax)
        #expect(issues("- a\n- b\n").first?.kind == .wrongType)
    }

    @Test func everyRuleBrokenIsReported() throws {
        var text = try edited("architecture: smallnet", "architecture: smalnet")
        text = text.replacingOccurrences(of: "split: test", with: "split: val")
        let found = issues(text)
        #expect(Set(found.map(\.field.description)).isSuperset(of: ["model.architecture", "evaluation.split"]))
        #expect(ManifestError(found).description.contains("manifest problems"))
    }
}
