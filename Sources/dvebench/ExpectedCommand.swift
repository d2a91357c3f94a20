import ArgumentParser
import Foundation
import Harness

/// `dvebench expected …`: the files of published numbers the diff compares against.
struct ExpectedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "expected",
        abstract: "Build the expected-numbers files (expected/paper.h5).",
        subcommands: [ImportPaper.self]
    )
}

extension ExpectedCommand {
    struct ImportPaper: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import-paper",
            abstract: "Write every published number of paper-tables.json into an HDF5 file keyed by row id.",
            discussion: """
            Layout: docs/manifests.md ("expected/paper.h5"). The file is replaced atomically. HDF5 \
            records object times, so re-running changes the bytes but not the contents.
            """
        )

        @Argument(help: ArgumentHelp("The paper-tables JSON (default: the repository's expected/sources/paper-tables.json).", valueName: "source"))
        var source: String?

        @Option(help: ArgumentHelp("The HDF5 file to write (default: the repository's expected/paper.h5).", valueName: "file"))
        var out: String?

        @OptionGroup var repository: RepositoryOptions

        func run() throws {
            let root = try repository.root(command: "expected import-paper")
            let source = root.path(self.source, orDefault: "expected/sources/paper-tables.json")
            let out = root.path(self.out, orDefault: "expected/paper.h5")
            do {
                let (rows, numbers) = try PaperExpectedImport.run(jsonPath: source, outputPath: out)
                print("\(out): \(rows) rows, \(numbers) numbers")
            } catch {
                throw CommandFailure(message: "\(error)")
            }
        }
    }
}
