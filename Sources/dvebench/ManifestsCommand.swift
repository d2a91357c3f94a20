import ArgumentParser
import Foundation
import Harness

/// `dvebench manifests …`: generate the per-row manifests from `paper-tables.json`, and list or
/// validate a selection of them.
struct ManifestsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "manifests",
        abstract: "Generate, check and list the per-row manifests (manifests/**/*.yaml).",
        subcommands: [Generate.self, List.self]
    )
}

extension ManifestsCommand {
    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write one manifest per row of paper-tables.json (the files are never edited by hand).",
            discussion: """
            Rewrites changed files, adds missing ones and deletes *.yaml files in the table folders that \
            the generator no longer produces, then prints what changed. With --check nothing is written: \
            the command lists the differences and exits 1 if there are any. The repository root (for the \
            eval-warps check) is the parent of --out.
            """
        )

        @Option(help: ArgumentHelp("The paper-tables JSON (default: the repository's expected/sources/paper-tables.json).", valueName: "file"))
        var from: String?

        @Option(help: ArgumentHelp("The manifests folder (default: the repository's manifests/).", valueName: "dir"))
        var out: String?

        @Flag(help: "Compare with the files on disk instead of writing; exit 1 on any difference.")
        var check = false

        @OptionGroup var repository: RepositoryOptions

        func run() throws {
            let root = try repository.root(command: "manifests generate")
            let from = root.path(self.from, orDefault: "expected/sources/paper-tables.json")
            let out = root.path(self.out, orDefault: "manifests")
            let directory = URL(fileURLWithPath: out)
            let loader = ManifestLoader(repositoryRoot: directory.standardizedFileURL.deletingLastPathComponent())
            do {
                let outputs = try ManifestGenerator.generate(jsonPath: from, loader: loader)
                if check {
                    let drift = ManifestGenerator.compare(outputs, with: directory)
                    print(drift.isEmpty ? "\(outputs.count) manifests up to date" : "\(drift)")
                    if !drift.isEmpty { throw ExitCode(1) }
                } else {
                    let drift = try ManifestGenerator.write(outputs, to: directory)
                    // Added files are only counted: on a first run that would be every row.
                    for file in drift.changed { print("rewritten  \(file)") }
                    for file in drift.extra { print("removed    \(file)") }
                    print("\(outputs.count) manifests in \(out): \(drift.missing.count) added, \(drift.changed.count) rewritten, \(drift.extra.count) removed")
                }
            } catch let error as ManifestGenerationError {
                throw CommandFailure(message: "\(error)")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load and validate manifests, then list the selected rows.",
            discussion: """
            With no PATH every manifest under the repository's manifests/ is loaded. Every problem is \
            printed as FILE:LINE: FIELD: PROBLEM and the command exits 1.
            """
        )

        @OptionGroup var rowSelection: RowSelectionOptions

        @Flag(help: "Print only the count.")
        var quiet = false

        @OptionGroup var repository: RepositoryOptions

        func run() throws {
            let root = try repository.root(command: "manifests list")
            let rows: [LoadedManifest]
            do { rows = try rowSelection.selection.load(with: ManifestLoader(repositoryRoot: root)) } catch {
                throw CommandFailure(message: "\(error)")
            }
            if !quiet {
                for row in rows {
                    let m = row.manifest
                    let weights = m.model.checkpoint == nil ? "no checkpoint" : "checkpoint"
                    print("\(m.id)  \(m.protocol.kind) on \(m.evaluation.dataset)  \(m.model.architecture)-\(m.model.embeddingDim)d\(m.model.dve ? "-dve" : "")  \(weights)\(m.expected.todo ? "  TODO" : "")")
                }
            }
            print("\(rows.count) manifests valid")
        }
    }
}
