import ArgumentParser
import Foundation
import Harness

struct Golden: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check this build against reference outputs recorded from the PyTorch implementation.",
        subcommands: [Verify.self]
    )
}

extension Golden {
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute every stored output of a golden directory and compare within tolerance.",
            discussion: """
            Prints one line per check: file, check, max abs error, max error relative to max|ref|, \
            tolerance and PASS or FAIL. Files this build cannot recompute are listed as NOT COVERED; \
            they never count as passing. Exits 0 only if every check passes (and, with \
            --require-complete, every file is covered), 1 otherwise. --threads defaults to every core.
            """
        )

        @Argument(help: "A directory laid out like the reference golden set.")
        var directory: String

        @OptionGroup var threadsOption: ThreadsOption

        @Flag(help: "Print only failing and uncovered checks, then the summary.")
        var quiet = false

        @Flag(help: "Fail when any file in the directory is not covered by this build.")
        var requireComplete = false

        func run() throws {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("\(directory) is not a directory")
            }
            Runtime.configure(threads: threadsOption.count(default: ThreadsOption.allCores))
            print("threads \(Runtime.threads) (OpenBLAS \(Runtime.blasThreads) thread, core \(Runtime.blasCore))")
            let report = GoldenVerifier.verify(directory: URL(fileURLWithPath: directory))
            let table = GoldenTable(report)
            for line in table.lines(includePassing: !quiet) { print(line) }
            print(table.summary)
            if !report.passed || (requireComplete && !report.uncovered.isEmpty) { throw ExitCode(1) }
        }
    }
}
