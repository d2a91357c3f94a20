import Dispatch
import Foundation
import Synchronization

/// A stop asked of the whole process: SIGTERM from a cluster scheduler that cancels, preempts or
/// requeues a task, or SIGINT from a terminal. A training in progress sees it at its next iteration,
/// writes a checkpoint and stops (`RunInterrupted`), so the next run of the same command resumes
/// there; the runner starts no new row. Whatever is not training (an evaluation) is only ever lost
/// whole, because results are saved atomically row by row.
public enum Interruption {
    private static let signalNumber = Atomic<Int32>(0)
    private static let sources = Mutex<[any DispatchSourceSignal]>([])

    /// The signal that asked for the stop, or nil.
    public static var requested: Int32? {
        let value = signalNumber.load(ordering: .acquiring)
        return value == 0 ? nil : value
    }

    public static var isRequested: Bool { requested != nil }

    /// Asks for a stop as `signal` would (tests, and the handlers below).
    public static func request(signal: Int32) {
        signalNumber.store(signal, ordering: .releasing)
    }

    /// Routes SIGTERM and SIGINT into a stop request. Should nothing pick the request up within
    /// `grace` seconds (a long evaluation), the process exits with 128 + signal; Slurm's default
    /// KillWait is 30 s, so 20 s still ends the process on our terms. A second signal exits at once.
    public static func installHandlers(grace: Double = 20) {
        sources.withLock { sources in
            guard sources.isEmpty else { return }
            for number in [SIGTERM, SIGINT] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler {
                    if isRequested { exit(128 + number) }
                    request(signal: number)
                    FileHandle.standardError.write(Data("dvebench: signal \(number): checkpointing and stopping (again to stop at once)\n".utf8))
                    DispatchQueue.global().asyncAfter(deadline: .now() + grace) { exit(128 + number) }
                }
                source.resume()
                sources.append(source)
            }
        }
    }
}

/// A run stopped by `Interruption`: nothing was lost, and the same command resumes it.
public struct RunInterrupted: Error, CustomStringConvertible, Sendable {
    public var signal: Int32
    public var row: String?
    public var description: String {
        "interrupted by signal \(signal)" + (row.map { " during \($0); its training checkpoint is saved, rerun the same command to resume" } ?? "")
    }
    /// The conventional exit status of a process ended by `signal`.
    public var exitCode: Int32 { 128 + signal }
}
