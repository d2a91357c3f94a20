import ArgumentParser
import Foundation
import Harness

struct Reproduce: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The embedded default: train and evaluate the synthetic seed tables on SynthFaces, diff, report.",
        discussion: """
        Needs no dataset and no checkpoint. Trains SmallNet 3/16/32/64 with and without DVE on \
        SynthFaces (generated in memory), runs the matching (S01) and MAFL-style regression (S02) \
        protocols, prints the table next to expected/synthetic.h5 and the paper's numbers, writes \
        OUT/report.md and OUT/report.html, and exits with `dvebench diff`'s code: 0 within tolerance, \
        2 a regression or failure, 4 improvements only, 1 an error. --quick runs the 16- and \
        64-dimensional models on fewer images (the CI tier). --threads defaults to 2, the count \
        expected/synthetic.h5 was blessed with. The repository is found as `dvebench run` finds it; \
        --out is relative to the current folder.
        """
    )

    @Flag(help: "The CI tier: SmallNet 16 and 64 with and without DVE, fewer images and steps.")
    var quick = false

    @Option(help: "Output folder (default: out/reproduce or out/reproduce-quick).")
    var out: String?

    @OptionGroup var threadsOption: ThreadsOption

    @OptionGroup var force: ForceRerunFlag

    @Flag(help: "Train the converged synthetic models from scratch (hours), record their learning curves, and ship them to expected/models/.")
    var retrain = false

    @Option(help: "Another seed of the converged models: with --retrain, train and ship it; without, evaluate its shipped models.")
    var trainingSeed: UInt64?

    @OptionGroup var repositoryOption: RepositoryOptions

    func run() throws {
        let repository = try repositoryOption.root(command: "reproduce")
        let threads = threadsOption.count(default: Reproduction.defaultThreads)
        let all = try CommandSupport.manifests(ManifestSelection(tables: Array(Reproduction.tables)), repository: repository)
        let folder = out ?? (quick ? "out/reproduce-quick" : "out/reproduce")
        let lock = try CommandSupport.lockOutput(folder, command: "reproduce")
        defer { withExtendedLifetime(lock) {} }

        // The fast layer of the gate first: a defect in a loss, a layer or the optimiser shows here in
        // seconds, whatever the models below do.
        say("Training trajectories against expected/\(Reproduction.trajectoriesFile)")
        Runtime.configure(threads: threads)
        let trajectoryCode = try TrajectoryGate.run(
            expectedPath: repository.appendingPathComponent("expected/\(Reproduction.trajectoriesFile)").path,
            recordingPath: (folder as NSString).appendingPathComponent(Reproduction.trajectoriesFile), threads: threads)
        say("")
        let (plan, rows, options) = Reproduction.plan(rows: all, quick: quick, retrain: retrain, trainingSeed: trainingSeed, outputDirectory: folder,
                                                      repositoryRoot: repository, threads: threads, force: force.isSet, command: commandLine)
        switch plan {
        case .shipped: say("Evaluating the converged models shipped in \(Reproduction.shippedModels)/")
        case .retrain: say("Training the converged models from scratch and shipping them to \(Reproduction.shippedModels)/ (hours)")
        case .shortTraining(let missing):
            say("No converged model shipped for \(missing.count) of the tier's rows (e.g. \(missing[0])): "
                + "training the short \(options.scale) tier instead")
        }
        let results = try CommandSupport.run(rows, options: options)

        let manifests = all.byID
        let expectedDirectory = repository.appendingPathComponent("expected").path
        let report: DiffReport, expected: ExpectedSet, paper: ExpectedSet?
        do {
            let (set, notes) = try ExpectedFiles.load(for: results, directory: expectedDirectory)
            expected = set
            paper = try? ExpectedSet.load((expectedDirectory as NSString).appendingPathComponent(ExpectedFiles.paper))
            report = try ResultDiff.compare(results: results, expected: expected, manifests: manifests, notes: notes)
        } catch {
            throw fail("reproduce", error)
        }
        say("")
        say("SynthFaces seed tables, scale \(options.scale), \(threads) threads")
        for line in ReproductionTable(results: results, manifests: manifests, expected: expected, paper: paper).render() {
            say(line)
        }
        say("")
        let table = DiffTable(report)
        for line in table.lines(includePassing: false) { say(line) }
        say(table.summary)
        let input = ReportInput(results: results, manifests: manifests, expected: expected, paper: paper,
                                title: "DVEBench: synthetic seed tables (\(options.scale))")
        do {
            let written = try ReportWriter.write(input, to: URL(fileURLWithPath: folder))
            say("report: \(written.markdown.path), \(written.html.path)")
        } catch {
            throw fail("reproduce", error)
        }
        let code = Reproduction.exitCode(trajectories: trajectoryCode, diff: report.exitCode)
        if trajectoryCode != 0 { say("the training trajectories moved beyond tolerance (see above): exit \(code)") }
        if code != 0 { throw ExitCode(code) }
    }
}
