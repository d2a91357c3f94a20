import ArgumentParser
import Foundation
import Harness

/// Prints `dvebench <command>: <error>` to standard error and exits with `code`: the results
/// commands' errors already name the file and the problem, so nothing is added.
func fail(_ command: String, _ error: any Error, code: Int32 = 1) -> ExitCode {
    FileHandle.standardError.write(Data("dvebench \(command): \(error)\n".utf8))
    return ExitCode(code)
}

/// Writes one line to standard output unbuffered: `print` is block-buffered into a pipe or file, so a
/// CI log would show a long run's rows only at the end, and out of order with the progress lines.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// The command line as typed, for provenance.
var commandLine: String { CommandLine.arguments.joined(separator: " ") }

/// Every manifest under `directory` (validated), by row id: the diff needs each row's tolerances.
/// The eval-warps files they name are checked in `repository`.
func manifestsByID(_ directory: String, repository: URL) throws -> [String: Manifest] {
    try ManifestLoader(repositoryRoot: repository).load(folder: directory).byID
}
