import Foundation
import HDF5
import Synchronization

/// libhdf5 is C, and a malformed file can crash it (a results file with 20 bytes overwritten made
/// `dvebench diff` die with SIGSEGV inside `H5O_attr_iterate`; Tests/Fixtures/repro). Validating an
/// HDF5 file fully before the library touches it would mean re-implementing its format, so DVEBench
/// isolates instead: before a DVEBench file of any kind is read, a child process (`dvebench
/// probe-file`) reads it with the same typed reader. A child that crashes, hangs or fails becomes a
/// typed error naming the file; only a file the child read whole is then read in this process.
///
/// The command-line tool installs the helper (itself) at start; without one (library use, the
/// child itself) reads happen in-process as before.
public enum IsolatedRead {
    private static let helper = Mutex<String?>(nil)

    /// How long a child may take before the file counts as one that hangs the library.
    public static let timeout: TimeInterval = 120

    /// Routes every later read of a DVEBench file through `executable probe-file`.
    public static func install(helperExecutable: String) {
        helper.withLock { $0 = helperExecutable }
    }

    public static var helperExecutable: String? { helper.withLock { $0 } }

    /// Throws unless a child process reads `path` as a `kind` file without crashing, hanging or
    /// failing; a no-op without a helper, or for a file that does not exist (the in-process read
    /// reports that with its usual message).
    public static func check(_ path: String, kind: String) throws(ResultsFileError) {
        guard let executable = helperExecutable, FileManager.default.fileExists(atPath: path) else { return }
        let child = Process()
        child.executableURL = URL(fileURLWithPath: executable)
        child.arguments = ["probe-file", "--kind", kind, path]
        let output = Pipe()
        child.standardOutput = output
        child.standardError = output
        do { try child.run() } catch {
            throw .damaged(file: path, problem: "cannot start the reader process \(executable): \(error)")
        }
        let finished = DispatchSemaphore(value: 0)
        let collected = Mutex<Data>(Data())
        DispatchQueue.global().async {
            let data = output.fileHandleForReading.readDataToEndOfFile()
            collected.withLock { $0 = data }
            finished.signal()
        }
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            child.terminate()
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            throw .damaged(file: path, problem: "reading it did not finish in \(Int(timeout)) s (the HDF5 library hangs on it)")
        }
        child.waitUntilExit()
        let message = collected.withLock { String(decoding: $0, as: UTF8.self) }.trimmingCharacters(in: .whitespacesAndNewlines)
        switch (child.terminationReason, child.terminationStatus) {
        case (.exit, 0): return
        case (.exit, _):
            // The child's error names the file already.
            var problem = message.isEmpty ? "unreadable" : Self.lastLine(message)
            for prefix in ["\(path) is damaged: ", "\(path): "] where problem.hasPrefix(prefix) { problem = String(problem.dropFirst(prefix.count)) }
            throw .damaged(file: path, problem: problem)
        case (.uncaughtSignal, let signal):
            throw .damaged(file: path, problem: "the HDF5 library crashed reading it (signal \(signal))")
        @unknown default:
            throw .damaged(file: path, problem: "unreadable")
        }
    }

    private static func lastLine(_ text: String) -> String {
        text.split(separator: "\n").last.map(String.init) ?? text
    }

    /// `probe-file` kinds beyond the DVEBench file kinds: a training checkpoint, and any HDF5 file
    /// read object by object (a descriptor cache), which is how the crash-consistency test checks
    /// that no reader ever meets a half-written file.
    public static let trainingCheckpointKind = "training-checkpoint"
    /// An `expected/eval-warps/<set>.h5` file (`EvalWarpsFile`).
    public static let evalWarpsKind = "eval-warps"
    public static let anyHDF5Kind = "hdf5"

    /// Opens `path` and reads every dataset of every group.
    static func readEveryObject(_ path: String) throws {
        let file = try HDF5File.open(path)
        defer { file.close() }
        func walk(_ group: HDF5Group, depth: Int) throws {
            try group.checkNesting(depth: depth)
            for name in try group.datasetNames() {
                let dataset = try group.dataset(name)
                // One of these matches the stored type; all failing means the data cannot be read.
                if (try? dataset.readFloat32()) == nil, (try? dataset.readFloat64()) == nil, (try? dataset.readInt64()) == nil,
                   (try? dataset.readUInt8()) == nil {
                    _ = try dataset.readStrings()
                }
            }
            for name in try group.groupNames() { try walk(try group.group(name), depth: depth + 1) }
        }
        try walk(file.root, depth: 0)
    }

    /// What `dvebench probe-file` runs in the child: the typed reader of `kind`, in full.
    public static func readWhole(_ path: String, kind: String) throws {
        switch kind {
        case ResultSet.kind: _ = try ResultSet.read(from: path)
        case ExpectedSet.kind: _ = try ExpectedSet.load(path)
        case TrajectoryFile.kind: _ = try TrajectoryFile.load(path)
        case ShippedModel.kind: _ = try ShippedModel.load(path)
        case trainingCheckpointKind: _ = try HDF5CheckpointStore(path: path).load()
        case evalWarpsKind: _ = try EvalWarpsFile.load(path: path)
        case anyHDF5Kind: try readEveryObject(path)
        default: throw ResultsFileError.damaged(file: path, problem: "no reader for files of kind '\(kind)'")
        }
    }
}
