import Foundation
import Harness
import Synchronization

/// `fetch`'s progress: on a terminal, one live bar per file being downloaded and one for the whole
/// fetch, redrawn in place; in a log, the files' starts, retries and ends, and the overall line every
/// few seconds. Events arrive from the download threads, so all state sits behind one lock.
final class FetchProgressDisplay: Sendable {
    private struct File {
        var bytes: Int64 = 0
        var total: Int64?
        var firstByte: Int64 = 0
        var started = Date()
        var active = false
    }

    private struct State {
        var files: [String: File] = [:]
        var order: [String] = []
        var finished = 0
        var drawnLines = 0
        var lastDraw = Date.distantPast
        var lastLog = Date()
        var downloadedThisRun: Int64 = 0
    }

    private let interactive = isatty(STDOUT_FILENO) == 1
    private let start = Date()
    private let count: Int
    private let state: Mutex<State>

    /// `sizes`: the announced size of each file to download (from HEAD), for the overall ETA.
    init(files: [String], sizes: [String: Int64]) {
        count = files.count
        var initial = State()
        for file in files { initial.files[file] = File(total: sizes[file]) }
        initial.order = files
        state = Mutex(initial)
    }

    func handle(_ event: CheckpointFetcher.Event) {
        state.withLock { s in
            switch event {
            case .started(let file, let url, let offset):
                s.files[file, default: File()].active = true
                s.files[file]?.bytes = offset
                s.files[file]?.firstByte = offset
                s.files[file]?.started = Date()
                message(offset > 0 ? "resume \(file) at \(Self.bytes(offset)) from \(url)" : "fetch  \(file) from \(url)", &s)
            case .progress(let file, let bytes, let total):
                let before = s.files[file]?.bytes ?? 0
                s.downloadedThisRun += max(0, bytes - before)
                s.files[file]?.bytes = bytes
                if let total { s.files[file]?.total = total }
                if interactive, Date().timeIntervalSince(s.lastDraw) >= 0.1 { draw(&s) }
                if !interactive, Date().timeIntervalSince(s.lastLog) >= 5 {
                    s.lastLog = Date()
                    for line in block(s) { say(line) }
                }
            case .note(let file, let text):
                message("       \(file): \(text)", &s)
            case .finished(let file, let outcome):
                s.files[file]?.active = false
                s.finished += 1
                message(Self.describe(file, outcome), &s)
            }
        }
    }

    /// Clears the live block at the end.
    func close() {
        state.withLock { s in
            clear(&s)
            say(overall(s))
        }
    }

    static func describe(_ file: String, _ outcome: CheckpointFetcher.Outcome) -> String {
        switch outcome {
        case .downloaded(let bytes, let resumedAt, let restarted, let recorded):
            let how = restarted ? " (the server ignored the range: downloaded whole)"
                : resumedAt > 0 ? " (resumed at \(Self.bytes(resumedAt)))" : ""
            return "done   \(file)  \(Self.bytes(bytes))\(how)\(recorded ? ", recorded in the lock" : ", matches the lock")"
        case .present(let recorded):
            return "have   \(file)\(recorded ? " (recorded in the lock)" : " (matches the lock)")"
        case .failed(let error):
            return "FAILED \(error)"
        }
    }

    private func message(_ line: String, _ s: inout State) {
        clear(&s)
        say(line)
        if interactive { draw(&s) }
    }

    private func clear(_ s: inout State) {
        guard interactive, s.drawnLines > 0 else { return }
        FileHandle.standardOutput.write(Data("\u{1B}[\(s.drawnLines)A\r\u{1B}[J".utf8))
        s.drawnLines = 0
    }

    private func draw(_ s: inout State) {
        clear(&s)
        let lines = block(s)
        FileHandle.standardOutput.write(Data(lines.map { $0 + "\n" }.joined().utf8))
        s.drawnLines = lines.count
        s.lastDraw = Date()
    }

    /// A bar for each file being downloaded, then the overall one.
    private func block(_ s: State) -> [String] {
        var lines: [String] = []
        for name in s.order {
            guard let file = s.files[name], file.active else { continue }
            let fraction = file.total.map { Double(file.bytes) / Double(max(1, $0)) }
            let elapsed = max(1e-3, Date().timeIntervalSince(file.started))
            let rate = Double(file.bytes - file.firstByte) / elapsed
            let remaining = file.total.map { rate > 0 ? Double($0 - file.bytes) / rate : .infinity } ?? .infinity
            lines.append("  \(Self.shorten(name, to: 44)) \(ProgressDisplay.bar(fraction ?? 0)) "
                         + "\(Self.bytes(file.bytes))/\(file.total.map(Self.bytes) ?? "?")  \(Self.bytes(Int64(rate)))/s  "
                         + "ETA \(ProgressDisplay.clock(remaining))")
        }
        lines.append(overall(s))
        return lines
    }

    private func overall(_ s: State) -> String {
        let done = s.files.values.reduce(Int64(0)) { $0 + $1.bytes }
        let total = s.files.values.reduce(Int64(0)) { $0 + ($1.total ?? $1.bytes) }
        let elapsed = max(1e-3, Date().timeIntervalSince(start))
        let rate = Double(s.downloadedThisRun) / elapsed
        let remaining = total <= done ? 0 : rate > 0 ? Double(total - done) / rate : .infinity
        return "overall \(ProgressDisplay.bar(Double(done) / Double(max(1, total)))) \(s.finished)/\(count) files  "
            + "\(Self.bytes(done))/\(Self.bytes(total))  \(Self.bytes(Int64(rate)))/s  ETA \(ProgressDisplay.clock(remaining))"
    }

    static func shorten(_ text: String, to width: Int) -> String {
        text.count <= width ? text.padding(toLength: width, withPad: " ", startingAt: 0) : "…" + text.suffix(width - 1)
    }

    static func bytes(_ n: Int64) -> String {
        let value = Double(n)
        if value >= Double(1 << 30) { return String(format: "%.2f GB", value / Double(1 << 30)) }
        if value >= Double(1 << 20) { return String(format: "%.1f MB", value / Double(1 << 20)) }
        if value >= Double(1 << 10) { return String(format: "%.1f kB", value / Double(1 << 10)) }
        return "\(n) B"
    }
}
