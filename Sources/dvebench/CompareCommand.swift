import ArgumentParser
import Harness

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show two results files, or two row groups of one, side by side (A, B, B − A).",
        discussion: """
        Rows of A matching --rows pair with rows of B (A itself when B is omitted) matching \
        --against when the patterns' wildcards matched the same text: \
        --rows 'T01/celeba-smallnet-*/matching' --against 'T01/celeba-hourglass-*/matching' \
        pairs the SmallNet and Hourglass rows of T01 with the same dimension and loss. \
        * matches any text (slashes too), ? one character. Metrics pair by name.
        """
    )

    @Argument(help: "Results file A.")
    var a: String

    @Argument(help: "Results file B (default: A).")
    var b: String?

    @Option(help: "Rows of A to compare (default: all).")
    var rows: String?

    @Option(help: "Rows of B to pair them with (default: the --rows pattern).")
    var against: String?

    @Flag(help: "Exit 1 unless every paired metric has the same bits in A and B and every row has a partner: a check that B reproduces A exactly (speed lines are timings and do not count).")
    var exact = false

    func validate() throws {
        if b == nil && against == nil {
            throw ValidationError("give a second results file, or --against to compare rows of one file")
        }
    }

    func run() throws {
        do {
            let comparison = try ResultCompare.run(pathA: a, pathB: b, rows: rows, against: against)
            for line in comparison.tableLines { print(line) }
            guard exact else { return }
            let inexact = comparison.inexactLines.count, total = comparison.metricLines.count
            if inexact == 0 {
                print("exact: all \(total) metrics have the same bits")
            } else {
                print("not exact: \(inexact) of \(total) metric lines differ or lack a partner")
                throw ExitCode(1)
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw fail("compare", error)
        }
    }
}
