import Foundation
import Testing
@testable import Harness

/// `--repository`, then the current folder and its parents, then DVEBENCH_HOME, then the copy
/// `make install` put next to the binary.
@Suite struct RepositoryLocatorTests {
    /// work/{repo,other}/…, each repository a folder holding manifests/ and expected/.
    static func tree() throws -> (work: URL, repo: URL, other: URL, nested: URL, outside: URL) {
        let work = try ResultsFixtures.temporaryDirectory().resolvingSymlinksInPath()
        let repo = work.appendingPathComponent("repo"), other = work.appendingPathComponent("other repo")
        for root in [repo, other] {
            for marker in RepositoryLocator.markers {
                try FileManager.default.createDirectory(at: root.appendingPathComponent(marker), withIntermediateDirectories: true)
            }
        }
        let nested = repo.appendingPathComponent("manifests/T01/deep")
        let outside = work.appendingPathComponent("elsewhere/sub")
        for folder in [nested, outside] { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
        return (work, repo, other, nested, outside)
    }

    @Test func theOptionWinsThenTheFoldersAboveThenTheEnvironmentThenTheInstalledCopy() throws {
        let t = try Self.tree()
        defer { try? FileManager.default.removeItem(at: t.work) }
        let home = [RepositoryLocator.environmentVariable: t.other.path]
        let inside = RepositoryLocator(currentDirectory: t.nested, environment: home, executable: nil)
        #expect(try inside.locate(option: nil).path == t.repo.path)
        #expect(try inside.locate(option: t.other.path).path == t.other.path)
        #expect(try inside.locate(option: "../../../../other repo").path == t.other.path, "relative to the current folder")
        let outside = RepositoryLocator(currentDirectory: t.outside, environment: home, executable: nil)
        #expect(try outside.locate(option: nil).path == t.other.path)

        // PREFIX/bin/dvebench reads PREFIX/share/dvebench.
        let prefix = t.work.appendingPathComponent("prefix")
        try FileManager.default.createDirectory(at: prefix.appendingPathComponent("bin"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: prefix.appendingPathComponent("share"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: prefix.appendingPathComponent("share/dvebench"), withDestinationURL: t.repo)
        let installed = RepositoryLocator(currentDirectory: t.outside, environment: [:],
                                          executable: prefix.appendingPathComponent("bin/dvebench"))
        let found = try installed.locate(option: nil).path
        // The shared copy here is a link to `repo`; standardising the path may resolve it.
        #expect(URL(fileURLWithPath: found).resolvingSymlinksInPath().path == t.repo.path, "\(found)")
        #expect(try RepositoryLocator(currentDirectory: t.outside, environment: home, executable: prefix.appendingPathComponent("bin/dvebench"))
            .locate(option: nil).path == t.other.path, "DVEBENCH_HOME before the installed copy")
    }

    @Test func aFolderWithOnlyOneOfTheTwoIsNotARoot() throws {
        let t = try Self.tree()
        defer { try? FileManager.default.removeItem(at: t.work) }
        try FileManager.default.removeItem(at: t.other.appendingPathComponent("expected"))
        #expect(!RepositoryLocator.isRoot(t.other) && RepositoryLocator.isRoot(t.repo))
        let locator = RepositoryLocator(currentDirectory: t.nested, environment: [:], executable: nil)
        #expect(throws: RepositoryNotFound.self) { try locator.locate(option: t.other.path) }
    }

    @Test func theErrorSaysWhatWasLookedForAndWhere() throws {
        let t = try Self.tree()
        defer { try? FileManager.default.removeItem(at: t.work) }
        let bin = t.work.appendingPathComponent("bin/dvebench")
        let unset = RepositoryLocator(currentDirectory: t.outside, environment: [:], executable: bin)
        let error = try #require(throws: RepositoryNotFound.self) { try unset.locate(option: nil) }
        let text = error.description
        #expect(text.contains("a folder holding manifests/ and expected/"), "\(text)")
        #expect(text.contains("not in \(t.outside.path) nor any folder above it"), "\(text)")
        #expect(text.contains("DVEBENCH_HOME is not set"), "\(text)")
        #expect(text.contains("no installed copy at \(t.work.appendingPathComponent("share/dvebench").path)"), "\(text)")
        #expect(text.contains("--repository DIR"), "\(text)")

        let wrongHome = RepositoryLocator(currentDirectory: t.outside, environment: ["DVEBENCH_HOME": t.outside.path], executable: nil)
        let homeError = try #require(throws: RepositoryNotFound.self) { try wrongHome.locate(option: nil) }
        #expect(homeError.description.contains("DVEBENCH_HOME=\(t.outside.path) has no manifests/ and expected/"), "\(homeError)")
        let wrongOption = try #require(throws: RepositoryNotFound.self) { try wrongHome.locate(option: t.outside.path) }
        #expect(wrongOption.description.contains("--repository \(t.outside.path) has no manifests/ and expected/"), "\(wrongOption)")
    }
}
