import ArgumentParser

@main
struct DVEBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dvebench",
        abstract: "Reproduce and benchmark DVE (unsupervised facial landmarks by exchanging descriptor vectors).",
        subcommands: [Reproduce.self, Run.self, Diff.self, Report.self, Bless.self, Compare.self, Merge.self, Submit.self, Status.self, Golden.self, Inspect.self, Export.self,
                      Synth.self, ManifestsCommand.self, ExpectedCommand.self, Trajectories.self]
    )
}
