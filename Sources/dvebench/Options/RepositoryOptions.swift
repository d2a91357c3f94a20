import ArgumentParser
import Foundation
import Harness

/// `--repository DIR`: where `manifests/` and `expected/` are, for every command that reads them.
/// Paths the user types (`--out`, files, `--manifests`) stay relative to the current folder; only
/// what the commands find by themselves comes from the repository.
struct RepositoryOptions: ParsableArguments {
    @Option(name: .customLong("repository"), help: ArgumentHelp(
        "The DVEBench repository: the folder holding manifests/ and expected/ (default: the current folder or the first parent holding both, else $DVEBENCH_HOME, else the copy `make install` put in ../share/dvebench next to the binary).",
        valueName: "dir"))
    var path: String?

    /// The root, or exit 1 with what was looked for and where.
    func root(command: String) throws -> URL {
        do {
            return try RepositoryLocator.forThisProcess(executable: CommandSupport.executablePath).locate(option: path)
        } catch {
            throw fail(command, error)
        }
    }
}

extension URL {
    /// `path` as the user gave it when set, else `relative` under this folder: a default that
    /// lives in the repository, an explicit path that means what it says from the current folder.
    func path(_ given: String?, orDefault relative: String) -> String {
        given ?? appendingPathComponent(relative).path
    }
}
