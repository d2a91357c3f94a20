import Foundation
import Harness
import Testing
import TestSupport

/// `dvebench fetch` against a local HTTP server standing in for the authors' (no internet in tests):
/// a plain fetch, a cut connection and its resume, a server that ignores ranges, a 404, corruption
/// caught by `expected/checkpoints.lock`, and two fetches into one folder at once.
@Suite struct FetchTests {
    /// Six rows sharing four checkpoints: T01/T06 share one, T02/T07 another.
    static let selection = ["--table", "T01", "--table", "T02", "--table", "T06", "--table", "T07", "--table", "T12",
                            "--id", "*-smallnet-3d-dve/*"]
    static let files = [
        "aflw-ft-keypoints-celeba-smallnet-3d-dve/2019-08-12_05-50-54/checkpoint-epoch300.pth",
        "aflw-keypoints-celeba-smallnet-3d-dve/2019-08-11_08-42-33/checkpoint-epoch300.pth",
        "celeba-smallnet-3d-dve/2019-08-08_17-54-21/checkpoint-epoch100.pth",
        "mafl-keypoints-celeba-smallnet-3d-dve/2019-08-11_08-33-22/checkpoint-epoch300.pth",
    ]

    /// A scratch repository, the server's folder with the four files, and an empty checkpoints folder.
    struct Setup {
        let repository: ScratchRepository
        let work: URL
        let served: URL
        let checkpoints: URL
        var contents: [String: Data] = [:]

        init() throws {
            repository = try ScratchRepository()
            work = repository.url("work")
            served = repository.url("served")
            checkpoints = repository.url("checkpoints")
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            for (i, file) in FetchTests.files.enumerated() {
                var state = UInt64(0x9E37_79B9_7F4A_7C15) &* UInt64(i + 1)
                let bytes = (0..<(300_000 + 1000 * i)).map { _ -> UInt8 in
                    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    return UInt8(truncatingIfNeeded: state >> 33)
                }
                try write(Data(bytes), to: served.appendingPathComponent(file))
                contents[file] = Data(bytes)
            }
        }

        func write(_ data: Data, to url: URL) throws {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url)
        }

        func fetch(_ server: LocalServer, _ extra: [String] = []) throws -> (status: Int32, output: String) {
            try repository.run(["fetch"] + FetchTests.selection + ["--checkpoints", checkpoints.path, "--mirror", server.mirror] + extra)
        }

        func fetched(_ file: String) -> Data? { try? Data(contentsOf: checkpoints.appendingPathComponent(file)) }

        /// The lock's lines, path → sha256.
        func lock() throws -> [String: String] {
            let text = try String(contentsOf: repository.lockFile, encoding: .utf8)
            var entries: [String: String] = [:]
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                let fields = line.split(separator: " ")
                entries[String(fields[2])] = String(fields[0])
            }
            return entries
        }

        /// Files other than the checkpoints (`.part`, `.fetching`, temporaries) left in the folder.
        func leftovers() -> [String] {
            let all = FileManager.default.enumerator(atPath: checkpoints.path)?.allObjects as? [String] ?? []
            return all.filter { $0.hasSuffix(".part") || $0.hasSuffix(".fetching") || $0.contains(".tmp-") }
        }

        func remove() { repository.remove() }
    }

    static func sha(_ data: Data) -> String { SHA256.hexDigest([UInt8](data)) }

    @Test func aFetchDownloadsEachCheckpointOnceAndRecordsItsHashInTheLock() throws {
        let setup = try Setup()
        defer { setup.remove() }
        let server = try LocalServer.start(serving: setup.served, work: setup.work)
        defer { server.stop() }
        let first = try setup.fetch(server, ["--jobs", "3"])
        #expect(first.status == 0, "\(first.output)")
        #expect(first.output.contains("4 checkpoints for 6 rows"), "\(first.output)")
        let lock = try setup.lock()
        for file in Self.files {
            #expect(setup.fetched(file) == setup.contents[file], "\(file)")
            #expect(server.gets(of: file).count == 1, "\(server.requests)")
            #expect(lock[file] == Self.sha(setup.contents[file]!), "\(file)")
        }
        #expect(setup.leftovers().isEmpty, "\(setup.leftovers())")

        let again = try setup.fetch(server)
        #expect(again.status == 0, "\(again.output)")
        #expect(again.output.contains("0 downloaded, 4 already present"), "\(again.output)")
        #expect(Self.files.allSatisfy { server.gets(of: $0).count == 1 }, "\(server.requests)")
    }

    @Test func aDryRunListsWhatWouldBeFetchedWithSizesAndDownloadsNothing() throws {
        let setup = try Setup()
        defer { setup.remove() }
        try setup.write(setup.contents[Self.files[1]]!.prefix(50_000), to: setup.checkpoints.appendingPathComponent(Self.files[1] + ".part"))
        let server = try LocalServer.start(serving: setup.served, work: setup.work)
        defer { server.stop() }
        let (status, output) = try setup.fetch(server, ["--dry-run"])
        #expect(status == 0, "\(output)")
        #expect(output.contains("fetch   \(Self.files[0])  293.0 kB  from \(server.mirror)\(Self.files[0])"), "\(output)")
        #expect(output.contains("resume  \(Self.files[1])  at 48.8 kB of 293.9 kB"), "\(output)")
        #expect(output.contains("would fetch 4 files"), "\(output)")
        #expect(server.requests.allSatisfy { $0.hasPrefix("HEAD ") }, "\(server.requests)")
        #expect(Self.files.allSatisfy { setup.fetched($0) == nil })
    }

    @Test func aConnectionCutMidFileIsResumedWithARangeRequest() throws {
        let setup = try Setup()
        defer { setup.remove() }
        let file = Self.files[2]
        let cutting = try LocalServer.start(serving: setup.served, work: setup.work, options: ["--cut-after", "100000"])
        let broken = try setup.fetch(cutting, ["--retries", "1", "--jobs", "2"])
        cutting.stop()
        #expect(broken.status == 1, "\(broken.output)")
        #expect(broken.output.contains("continuing from byte 100000"), "\(broken.output)")
        #expect(broken.output.contains("\(file): download from \(cutting.mirror)\(file) failed after 200000 bytes"), "\(broken.output)")
        #expect(cutting.gets(of: file).contains { $0.contains("range=bytes=100000- status=206 sent=100000") }, "\(cutting.requests)")
        let partial = setup.checkpoints.appendingPathComponent(file + ".part")
        #expect((try? Data(contentsOf: partial)) == setup.contents[file]!.prefix(200_000))
        #expect(setup.fetched(file) == nil, "an incomplete file must not appear under its own name")
        #expect(!FileManager.default.fileExists(atPath: setup.repository.lockFile.path))

        let server = try LocalServer.start(serving: setup.served, work: setup.work)
        defer { server.stop() }
        let resumed = try setup.fetch(server)
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(resumed.output.contains("resume \(file) at 195.3 kB"), "\(resumed.output)")
        #expect(server.gets(of: file) == ["GET /\(file) range=bytes=200000- status=206 sent=\(setup.contents[file]!.count - 200_000)"],
                "\(server.requests)")
        let lock = try setup.lock()
        for name in Self.files {
            #expect(setup.fetched(name) == setup.contents[name], "\(name)")
            #expect(lock[name] == Self.sha(setup.contents[name]!))
        }
        #expect(setup.leftovers().isEmpty, "\(setup.leftovers())")
    }

    @Test func aServerThatIgnoresRangeMakesTheDownloadStartAgainCleanly() throws {
        let setup = try Setup()
        defer { setup.remove() }
        // Partial files whose bytes are wrong: appended to, they would give corrupt checkpoints.
        for file in Self.files {
            try setup.write(Data(repeating: 0xAA, count: 120_000), to: setup.checkpoints.appendingPathComponent(file + ".part"))
        }
        let server = try LocalServer.start(serving: setup.served, work: setup.work, options: ["--ignore-range"])
        defer { server.stop() }
        let (status, output) = try setup.fetch(server)
        #expect(status == 0, "\(output)")
        #expect(output.contains("the server ignored the range request; downloaded again from the start"), "\(output)")
        let lock = try setup.lock()
        for file in Self.files {
            #expect(server.gets(of: file).map { $0.contains("range=bytes=120000- status=200") } == [true], "\(server.requests)")
            #expect(setup.fetched(file) == setup.contents[file], "\(file)")
            #expect(lock[file] == Self.sha(setup.contents[file]!))
        }
    }

    @Test func aMissingFileOnTheServerIsNamedInTheError() throws {
        let setup = try Setup()
        defer { setup.remove() }
        let missing = Self.files[3]
        try FileManager.default.removeItem(at: setup.served.appendingPathComponent(missing))
        let server = try LocalServer.start(serving: setup.served, work: setup.work)
        defer { server.stop() }
        let (status, output) = try setup.fetch(server)
        #expect(status == 1, "\(output)")
        #expect(output.contains("1 of 4 checkpoints failed"), "\(output)")
        #expect(output.contains("\(missing): HTTP 404 Not Found from \(server.mirror)\(missing)"), "\(output)")
        #expect(Self.files.dropLast().allSatisfy { setup.fetched($0) != nil })
        let lock = try setup.lock()
        #expect(setup.fetched(missing) == nil && lock[missing] == nil && lock.count == 3)
    }

    @Test func aCorruptedFileIsCaughtByTheLockAndNeverDownloadedAgainSilently() throws {
        let setup = try Setup()
        defer { setup.remove() }
        let server = try LocalServer.start(serving: setup.served, work: setup.work)
        defer { server.stop() }
        #expect(try setup.fetch(server).status == 0)
        let file = Self.files[2]
        let local = setup.checkpoints.appendingPathComponent(file)
        var corrupted = setup.contents[file]!
        corrupted[1234] ^= 0xFF
        try corrupted.write(to: local)

        let (status, output) = try setup.fetch(server)
        #expect(status == 1, "\(output)")
        #expect(output.contains("\(local.path) does not match \(setup.repository.lockFile.path): expected SHA-256 "
                                + "\(Self.sha(setup.contents[file]!)) (\(corrupted.count) bytes), got \(Self.sha(corrupted))"), "\(output)")
        #expect(server.gets(of: file).count == 1, "nothing is downloaded again: \(server.requests)")
        #expect(try Data(contentsOf: local) == corrupted)

        let verify = try setup.repository.run(["fetch"] + Self.selection + ["--checkpoints", setup.checkpoints.path, "--verify"])
        #expect(verify.status == 1, "\(verify.output)")
        #expect(verify.output.contains("MISMATCH   \(file)") && verify.output.contains("3 match, 1 differ"), "\(verify.output)")

        // `run` in checkpoint mode refuses it by the same check.
        let run = try setup.repository.run(["run", "--mode", "checkpoint", "--checkpoints", setup.checkpoints.path,
                                            "--id", "T01/celeba-smallnet-3d-dve/matching", "--out", setup.work.appendingPathComponent("run").path])
        #expect(run.status == 1, "\(run.output)")
        #expect(run.output.contains("does not match") && run.output.contains(Self.sha(corrupted)), "\(run.output)")

        // A server whose copy changed after the lock was written is caught as well.
        let other = Self.files[0]
        try FileManager.default.removeItem(at: setup.checkpoints.appendingPathComponent(other))
        var changed = setup.contents[other]!
        changed[0] ^= 1
        try changed.write(to: setup.served.appendingPathComponent(other))
        let changedFetch = try setup.fetch(server)
        #expect(changedFetch.status == 1 && changedFetch.output.contains("got \(Self.sha(changed))"), "\(changedFetch.output)")
        #expect(try setup.fetch(server).status == 1)
        #expect(server.gets(of: other).count == 2, "the changed file was downloaded once, then refused: \(server.requests)")
    }

    @Test func twoFetchesIntoOneFolderAtOnceDownloadEachFileOnce() throws {
        let setup = try Setup()
        defer { setup.remove() }
        let server = try LocalServer.start(serving: setup.served, work: setup.work, options: ["--rate", "800000"])
        defer { server.stop() }
        let arguments = ["fetch"] + Self.selection + ["--checkpoints", setup.checkpoints.path, "--mirror", server.mirror, "--jobs", "2"]
        let logs = [setup.work.appendingPathComponent("a.log"), setup.work.appendingPathComponent("b.log")]
        let processes = try logs.map { try setup.repository.start(arguments, log: $0) }
        for process in processes { process.waitUntilExit() }
        let outputs = logs.map { (try? String(contentsOf: $0, encoding: .utf8)) ?? "" }
        #expect(processes.allSatisfy { $0.terminationReason == .exit && $0.terminationStatus == 0 }, "\(outputs)")
        let lock = try setup.lock()
        for file in Self.files {
            #expect(server.gets(of: file).count == 1, "\(server.requests)")
            #expect(setup.fetched(file) == setup.contents[file], "\(file)")
            #expect(lock[file] == Self.sha(setup.contents[file]!))
        }
        #expect(lock.count == 4)
        #expect(setup.leftovers().isEmpty, "\(setup.leftovers())")
        #expect(!FileManager.default.fileExists(atPath: setup.repository.lockFile.path + ".update"))
    }
}
