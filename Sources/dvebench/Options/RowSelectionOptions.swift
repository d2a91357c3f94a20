import ArgumentParser
import Harness

/// Which manifest rows a command works on: `[PATH…] [--table T…] [--id GLOB…]`, the same words for
/// `run`, `submit` and `manifests list` (see `ManifestSelection` for how they combine).
struct RowSelectionOptions: ParsableArguments {
    @Argument(help: "Manifest files or folders (default: the repository's manifests/).")
    var paths: [String] = []

    @Option(name: .customLong("table"), help: "Rows of this table (short id: S01, T06, …). Repeatable.")
    var tables: [String] = []

    @Option(name: .customLong("id"), help: "Rows whose id matches this glob (* any text, slashes too; ? one character). Repeatable.")
    var ids: [String] = []

    var selection: ManifestSelection { ManifestSelection(paths: paths, tables: tables, idPatterns: ids) }
}
