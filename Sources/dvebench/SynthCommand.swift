import ArgumentParser
import Foundation
import Harness

/// `dvebench synth`: SynthFaces datasets on disk in the real layouts, contact sheets, speed.
struct Synth: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a synthetic face dataset (SynthFaces) in a real dataset layout, or preview it.",
        discussion: """
        --out DIR is the folder the reference configs name: data/celeba (celeba), \
        data/aflw/aflw_release-2 (aflw-r), data/aflw-mtfl (aflw-m), data/300w/300w (300w). The tree is \
        written into a hidden sibling folder and renamed into place when complete. Output depends only on \
        --layout, --count, --seed and --identities, never on --threads.

        --preview PNG draws the first 48 images with the landmarks the layout's annotation files hold \
        (read back from the written files); without --layout it shows 100×100 faces framed like the \
        networks' input. --preview-68 draws all 68 ground-truth points. --threads (rendering and \
        encoding) defaults to every core.
        """
    )

    @Option(help: "The real dataset layout to write.")
    var layout: SynthRun.Layout?

    @Option(help: "Root folder of the tree to write.")
    var out: String?

    @Option(help: "Number of images (celeba ≥ 10, aflw-r/aflw-m ≥ 2, 300w ≥ 6).")
    var count: Int = 200

    @Option(help: "Seed; the same seed gives the same bytes.")
    var seed: UInt64 = 0

    @Option(help: "Number of people (default: count / 4, rounded up).")
    var identities: Int?

    @Flag(help: "Replace an existing non-empty --out folder.")
    var overwrite = false

    @OptionGroup var threads: ThreadsOption

    @Option(help: "Write a contact sheet PNG with the layout's landmarks.")
    var preview: String?

    @Option(name: .customLong("preview-68"), help: "Write a contact sheet PNG with all 68 landmarks.")
    var preview68: String?

    @Option(help: "Render this many 100×100 faces on one thread and print images/s.")
    var benchmark: Int?

    func validate() throws {
        if count < 1 { throw ValidationError("--count must be positive (got \(count))") }
        if let identities, identities < 1 { throw ValidationError("--identities must be positive (got \(identities))") }
    }

    func run() throws {
        let options = SynthRun.Options(layout: layout?.rawValue, output: out, count: count, seed: seed, identities: identities,
                                       overwrite: overwrite, threads: threads.count(default: ThreadsOption.allCores), preview: preview, preview68: preview68,
                                       benchmark: benchmark)
        do {
            for line in try SynthRun.run(options) { print(line) }
        } catch {
            FileHandle.standardError.write(Data("dvebench synth: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
