import Foundation
import Testing
import TestSupport
@testable import Harness

/// The command line as a user outside the repository meets it: the repository found from anywhere,
/// `--version`, closed value sets refused by the parser, machine-readable diffs, completions.
struct EveryFolderTests {
    static func run(_ arguments: [String], executable: URL = DamagedFileTests.dvebench, in directory: URL = DamagedFileTests.repository,
                    environment: [String: String?] = [:]) throws -> (status: Int32, output: String) {
        try DamagedFileTests.run(arguments, executable: executable, in: directory, environment: environment)
    }
    static var repository: URL { DamagedFileTests.repository }
    static let noHome: [String: String?] = [RepositoryLocator.environmentVariable: nil]

    @Test func outsideTheRepositoryTheErrorSaysWhatWasLookedForAndWhere() throws {
        let outside = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: outside) }
        let (status, output) = try Self.run(["manifests", "list", "--quiet"], in: outside, environment: Self.noHome)
        #expect(status == 1, "\(output)")
        #expect(output.contains("a folder holding manifests/ and expected/"), "\(output)")
        #expect(output.contains("not in \(outside.resolvingSymlinksInPath().path) nor any folder above it") || output.contains("not in \(outside.path) nor any folder above it"), "\(output)")
        #expect(output.contains("DVEBENCH_HOME is not set"), "\(output)")
    }

    @Test func fromAnotherFolderTheOptionThenTheEnvironmentFindTheRepository() throws {
        let outside = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: outside) }
        let all = try Self.run(["manifests", "list", "--quiet"])
        #expect(all.status == 0 && all.output.hasSuffix("manifests valid\n"), "\(all.output)")
        let byOption = try Self.run(["manifests", "list", "--quiet", "--repository", Self.repository.path], in: outside, environment: Self.noHome)
        #expect(byOption.status == 0 && byOption.output == all.output, "\(byOption.output)")
        let byHome = try Self.run(["manifests", "list", "--quiet"], in: outside,
                                  environment: [RepositoryLocator.environmentVariable: Self.repository.path])
        #expect(byHome.status == 0 && byHome.output == all.output, "\(byHome.output)")
        // A row file the user names is relative to the current folder, not to the repository.
        let relative = try Self.run(["manifests", "list", "--quiet", "manifests/S01-seed-matching-mafl", "--repository", Self.repository.path],
                                    in: outside, environment: Self.noHome)
        #expect(relative.status == 1 && relative.output.contains("manifests/S01-seed-matching-mafl: no such file or folder"), "\(relative.output)")
    }

    /// `make install PREFIX=…` puts the binary in PREFIX/bin and manifests/ and expected/ in
    /// PREFIX/share/dvebench; built here the same way without a release build.
    @Test func anInstalledBinaryFindsItsSharedCopyFromAnyFolder() throws {
        let prefix = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: prefix) }
        let bin = prefix.appendingPathComponent("bin"), share = prefix.appendingPathComponent("share/dvebench")
        for folder in [bin, share] { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
        let installed = bin.appendingPathComponent("dvebench")
        try FileManager.default.copyItem(at: DamagedFileTests.dvebench, to: installed)
        for name in RepositoryLocator.markers {
            try FileManager.default.createSymbolicLink(at: share.appendingPathComponent(name),
                                                       withDestinationURL: Self.repository.appendingPathComponent(name))
        }
        let elsewhere = prefix.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        let listed = try Self.run(["manifests", "list", "--quiet"], executable: installed, in: elsewhere, environment: Self.noHome)
        #expect(listed.status == 0 && listed.output.hasSuffix("manifests valid\n"), "\(listed.output)")
        let diffed = try Self.run(["diff", Fixtures.repro.appendingPathComponent("results-intact.h5").path, "--quiet"],
                                  executable: installed, in: elsewhere, environment: Self.noHome)
        #expect(diffed.status == 0, "\(diffed.output)")
    }

    @Test func versionNamesTheReleaseTheBuildCommitAndTheConfigurationAndGoesIntoProvenance() throws {
        let (status, output) = try Self.run(["--version"])
        #expect(status == 0)
        let version = output.trimmingCharacters(in: .newlines)
        let pattern = #/^\d+\.\d+\.\d+ \(git ([0-9a-f]{40}(-dirty)?|unknown), debug\)$/#
        #expect(version.wholeMatch(of: pattern) != nil, "\(version)")
        if let match = version.firstMatch(of: #/[0-9a-f]{40}/#) {
            let known = Process()
            known.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            known.arguments = ["git", "-C", Self.repository.path, "cat-file", "-e", "\(match.output)^{commit}"]
            try known.run()
            known.waitUntilExit()
            #expect(known.terminationStatus == 0, "\(match.output) is not a commit of this repository")
        }

        let work = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let merged = work.appendingPathComponent("merged.h5").path
        let merge = try Self.run(["merge", merged, Fixtures.repro.appendingPathComponent("results-intact.h5").path])
        #expect(merge.status == 0, "\(merge.output)")
        let set = try #require(try ResultsFile.load(merged))
        #expect(set.provenance.libraries["dvebench"] == version)
    }

    @Test func closedValueSetsAreRefusedByTheParserAndListedInHelp() throws {
        for (arguments, values) in [(["run", "--mode", "fast"], ["checkpoint", "train", "shipped"]),
                                    (["run", "--scale", "huge"], ["paper", "default", "quick", "converged"]),
                                    (["synth", "--layout", "aflw"], ["celeba", "aflw-r", "aflw-m", "300w"]),
                                    (["diff", "x.h5", "--format", "xml"], ["text", "markdown", "json", "csv"]),
                                    (["run", "--shard", "3/2"], [])] {
            let (status, output) = try Self.run(arguments)
            #expect(status == 64, "\(arguments): \(output)")
            #expect(output.contains("The value '\(arguments.last!)' is invalid"), "\(arguments): \(output)")
            for value in values { #expect(output.contains("'\(value)'"), "\(arguments): \(output)") }
        }
        // Help wraps lines; compare with single spaces.
        func help(_ command: String) throws -> String {
            try Self.run([command, "--help"]).output.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        }
        let run = try help("run")
        #expect(run.contains("(values: checkpoint, train, shipped)") && run.contains("(values: paper, default, quick, converged)"), "\(run)")
        #expect(try help("diff").contains("(values: text, markdown, json, csv)"))
        #expect(try help("synth").contains("(values: celeba, aflw-r, aflw-m, 300w)"))
    }

    @Test(arguments: ["bash", "zsh", "fish"])
    func completionScriptsGenerateAndOfferTheClosedValues(shell: String) throws {
        let (status, output) = try Self.run(["--generate-completion-script", shell])
        #expect(status == 0, "\(output)")
        #expect(output.contains("repository") && output.contains("format"), "\(shell)")
        #expect(output.contains("converged") && output.contains("shipped") && output.contains("aflw-m") && output.contains("csv"), "\(shell)")
    }

    @Test func diffPrintsJSONAndCSVThatParseAndKeepsItsExitStatus() throws {
        let outside = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: outside) }
        let intact = Fixtures.repro.appendingPathComponent("results-intact.h5").path
        let json = try Self.run(["diff", intact, "--format", "json", "--repository", Self.repository.path], in: outside, environment: Self.noHome)
        #expect(json.status == 0, "\(json.output)")
        #expect(json.output.contains("\"row_id\" : \"S01/"), "row ids keep their slashes unescaped: \(json.output.prefix(600))")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        let metrics = try #require(document["metrics"] as? [[String: Any]])
        #expect(!metrics.isEmpty && metrics.allSatisfy { Set($0.keys) == Set(DiffExport.columns) })
        #expect(Set(metrics.compactMap { $0["provenance_digest"] as? String }).count == 1)
        let csv = try Self.run(["diff", intact, "--format", "csv"])
        let lines = csv.output.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(csv.status == 0 && lines.first == DiffExport.columns.joined(separator: ",") && lines.count == metrics.count + 1)

        let report = try Self.run(["report", intact, "--format", "json", "--out", "r"], in: outside, 
                                  environment: [RepositoryLocator.environmentVariable: Self.repository.path])
        #expect(report.status == 0, "\(report.output)")
        let written = outside.appendingPathComponent("r/report.json")
        let reread = try JSONSerialization.jsonObject(with: Data(contentsOf: written)) as? [String: Any]
        #expect((reread?["metrics"] as? [[String: Any]])?.count == metrics.count, "--out is relative to the current folder")
    }

    @Test func submitHandsTheRepositoryToItsJobs() throws {
        let outside = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: outside) }
        let (status, output) = try Self.run(["submit", "--table", "S01", "--tasks", "2", "--dry-run", "--out", "runs",
                                             "--repository", Self.repository.path], in: outside, environment: Self.noHome)
        #expect(status == 0, "\(output)")
        #expect(output.contains("--repository \(Self.repository.path)"), "\(output)")
        #expect(output.contains("diff \(outside.path)/runs/results.h5 --repository \(Self.repository.path)")
            || output.contains("diff \(outside.resolvingSymlinksInPath().path)/runs/results.h5 --repository \(Self.repository.path)"), "\(output)")
    }
}
