import ArgumentParser
import Foundation
import Harness

/// Prints `dvebench <command>: <error>` to standard error and exits with `code`: the results
/// commands' errors already name the file and the problem, so nothing is added.
func fail(_ command: String, _ error: any Error, code: Int32 = 1) -> ExitCode {
    FileHandle.standardError.write(Data("dvebench \(command): \(error)\n".utf8))
    return ExitCode(code)
}

/// The command line as typed, for provenance.
var commandLine: String { CommandLine.arguments.joined(separator: " ") }

/// Every manifest under `directory` (validated), by row id: the diff needs each row's tolerances.
func manifestsByID(_ directory: String) throws -> [String: Manifest] {
    let loader = ManifestLoader(repositoryRoot: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
    return Dictionary(try loader.load(folder: directory).map { ($0.id, $0.manifest) }, uniquingKeysWith: { a, _ in a })
}
