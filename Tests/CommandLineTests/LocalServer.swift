import Foundation
import Testing
import TestSupport

/// `dvebench-test-server` (Tests/TestServer) serving a folder on 127.0.0.1: started by a test, stopped
/// by its PID (SIGTERM), with a log of every request it answered.
final class LocalServer {
    let process: Process
    let port: Int
    let log: URL

    private init(process: Process, port: Int, log: URL) {
        self.process = process
        self.port = port
        self.log = log
    }

    static var executable: URL {
        DamagedFileTests.dvebench.deletingLastPathComponent().appendingPathComponent("dvebench-test-server")
    }

    /// Serves `root`; `options` are the server's fault switches (`--cut-after N`, `--ignore-range`, `--rate B`).
    static func start(serving root: URL, work: URL, options: [String] = []) throws -> LocalServer {
        let id = UUID().uuidString
        let portFile = work.appendingPathComponent("server-\(id).port"), log = work.appendingPathComponent("server-\(id).log")
        let process = Process()
        process.executableURL = executable
        process.arguments = ["--root", root.path, "--port-file", portFile.path, "--log", log.path] + options
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let text = try? String(contentsOf: portFile, encoding: .utf8), let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                return LocalServer(process: process, port: port, log: log)
            }
            usleep(20_000)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: portFile.path])
    }

    /// The URL that stands in for the published prefix (`fetch --mirror`).
    var mirror: String { "http://127.0.0.1:\(port)/" }

    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { stop() }

    /// One line per answered request: `GET /path range=bytes=N- status=206 sent=K`.
    var requests: [String] {
        ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    func gets(of file: String) -> [String] { requests.filter { $0.hasPrefix("GET /\(file) ") } }
}

/// A repository of its own for a command-line test: the real manifests (copied) and evaluation warps (linked),
/// and an `expected/` folder where `fetch` writes `checkpoints.lock`.
struct ScratchRepository {
    let root: URL

    init() throws {
        root = try makeTemporaryDirectory("dvebench-repo")
        let real = DamagedFileTests.repository
        try FileManager.default.createDirectory(at: root.appendingPathComponent("expected"), withIntermediateDirectories: true)
        // Copied: the manifest loader does not follow a linked folder.
        try FileManager.default.copyItem(at: real.appendingPathComponent("manifests"), to: root.appendingPathComponent("manifests"))
        try FileManager.default.createSymbolicLink(at: root.appendingPathComponent("expected/eval-warps"),
                                                   withDestinationURL: real.appendingPathComponent("expected/eval-warps"))
    }

    var lockFile: URL { root.appendingPathComponent("expected/checkpoints.lock") }

    func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    func remove() { try? FileManager.default.removeItem(at: root) }

    func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try DamagedFileTests.run(arguments, in: root)
    }

    /// Starts `dvebench` without waiting, its output going to `log`.
    func start(_ arguments: [String], log: URL) throws -> Process {
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = DamagedFileTests.dvebench
        process.arguments = arguments
        process.currentDirectoryURL = root
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }
}
