import ArgumentParser
import Foundation
import Harness

/// What a results file is judged against: the manifests it ran from (tolerances, polarity) and the
/// expected numbers; `diff` and `report` read both, `bless` the manifests.
struct ManifestsOption: ParsableArguments {
    @Option(help: ArgumentHelp("The manifests the rows ran from: tolerances, polarity, row keys (default: the repository's manifests/).",
                               valueName: "dir"))
    var manifests: String?

    func directory(repository: URL) -> String { repository.path(manifests, orDefault: "manifests") }
}

struct ExpectedInputOptions: ParsableArguments {
    @OptionGroup var manifests: ManifestsOption

    @Option(help: ArgumentHelp("Where paper.h5 and synthetic.h5 are (default: the repository's expected/).", valueName: "dir"))
    var expectedDir: String?

    func expectedDirectory(repository: URL) -> String { repository.path(expectedDir, orDefault: "expected") }
}

/// `--format` of `diff` (what it prints) and `report` (what it writes).
struct ResultsFormatOption: ParsableArguments {
    @Option(name: .customLong("format"), help: "text (a terminal table), markdown, json (one object per metric, with provenance) or csv (one line per metric) (default: see above).")
    var given: ResultsFormat?

    func format(default fallback: ResultsFormat) -> ResultsFormat { given ?? fallback }
}
