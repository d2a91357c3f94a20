import ArgumentParser
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

        @Argument(help: "The paper-tables JSON.")
        var source = "expected/sources/paper-tables.json"

        @Option(help: "The HDF5 file to write.")
        var out = "expected/paper.h5"

        func run() throws {
            do {
                let (rows, numbers) = try PaperExpectedImport.run(jsonPath: source, outputPath: out)
                print("\(out): \(rows) rows, \(numbers) numbers")
            } catch {
                throw CommandFailure(message: "\(error)")
            }
        }
    }
}
