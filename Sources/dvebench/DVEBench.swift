import ArgumentParser
import Foundation
import Harness

@main
struct DVEBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dvebench",
        abstract: "Reproduce and benchmark DVE (unsupervised facial landmarks by exchanging descriptor vectors).",
        discussion: """
        Commands that read the table rows and expected numbers find the repository (the folder \
        holding manifests/ and expected/) in this order: --repository DIR; the current folder or \
        its first parent holding both; $DVEBENCH_HOME; the copy `make install PREFIX=…` put in \
        PREFIX/share/dvebench. Paths you type are relative to the current folder.
        """,
        version: BuildInfo.description,
        subcommands: [Reproduce.self, Run.self, Diff.self, Report.self, Bless.self, Compare.self, Merge.self, Submit.self, Status.self, ProbeFile.self, Golden.self, Inspect.self, Export.self,
                      Synth.self, ManifestsCommand.self, ExpectedCommand.self, Trajectories.self,
                      Fetch.self, DataCommand.self]
    )

    static func main() {
        // Past a file-size limit (RLIMIT_FSIZE) a write should fail with EFBIG and be reported, with
        // the previous results left intact, rather than SIGXFSZ killing the process mid-save.
        signal(SIGXFSZ, SIG_IGN)
        // Every read of a DVEBench HDF5 file goes through a child process first (`IsolatedRead`),
        // except in that child.
        if CommandLine.arguments.dropFirst().first != "probe-file" {
            IsolatedRead.install(helperExecutable: CommandSupport.executablePath)
        }
        main(nil)
    }
}
