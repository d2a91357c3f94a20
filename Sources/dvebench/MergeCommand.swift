import ArgumentParser
import Foundation
import Harness

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Join the results files of shards into one.",
        discussion: """
        A row in several shards must be identical in all of them; a row that differs is an error \
        naming the row and both files. Each shard's provenance is kept as shard.<i>.* attributes.
        """
    )

    @Argument(help: "The merged results file to write.")
    var output: String

    @Argument(help: "Shard results files, in order.")
    var shards: [String]

    func validate() throws {
        if shards.isEmpty { throw ValidationError("give at least one shard file") }
        if shards.contains(output) { throw ValidationError("the output \(output) is also a shard") }
    }

    func run() throws {
        let lock = try CommandSupport.lockOutput(folderOf: output, command: "merge")
        defer { withExtendedLifetime(lock) {} }
        do {
            let provenance = Provenance.current(command: commandLine, threads: 1)
            let merged = try ResultsMerge.run(output: output, shardPaths: shards, provenance: provenance)
            print("merged \(merged.rows.count) rows from \(shards.count) shard(s) into \(output)")
        } catch {
            throw fail("merge", error)
        }
    }
}
