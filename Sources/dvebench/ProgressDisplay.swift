import Foundation
import Harness
import Landmarks

/// Turns runner events into one live progress line on a terminal, or a line every few seconds in a log.
final class ProgressDisplay {
    private let interactive = isatty(STDOUT_FILENO) == 1
    private var lastLog = Date.distantPast
    private var currentRow = ""
    private var rowLabel = ""
    private var sawTraining = false

    func handle(_ event: RunnerEvent) {
        switch event {
        case .rowStarted(let id, let position, let total):
            currentRow = id
            sawTraining = false
            rowLabel = "[\(position)/\(total)] \(id)"
            emit("\(rowLabel)  starting", force: true)
        case .rowProgress(_, let progress):
            if case .training(let p) = progress, !sawTraining {
                sawTraining = true
                // The first iteration this process ran: past 1, the training resumed from a checkpoint.
                if p.completedIterations > 1 {
                    finishLine()
                    say("\(rowLabel)  resumed training from its checkpoint at iteration \(p.completedIterations - 1) of \(p.totalIterations)")
                }
            }
            emit("\(rowLabel)  \(Self.describe(progress))\(eta(progress))", force: false)
        case .rowReused(let row):
            finishLine()
            say("\(row.id)  reused from an earlier run (use --force to rerun)")
        case .rowFinished(let row):
            finishLine()
            say(Self.summary(row))
        }
    }

    /// Phases whose progress carries no rate (descriptor extraction, regressor epochs) get an ETA
    /// from the time since the phase began.
    private var phase = ""
    private var phaseStart = Date()
    private var phaseDone = 0

    private func eta(_ progress: RowProgress) -> String {
        guard case .regression(let r) = progress else { return "" }
        let (name, done, total): (String, Int, Int)
        switch r {
        case .extraction(let split, let d, let t): (name, done, total) = ("extract \(split)", d, t)
        case .epoch(let epoch, let t): (name, done, total) = ("epochs", epoch.epoch, t)
        default: return ""
        }
        // A new phase, or the same phase starting over (the next limited-annotation run).
        if name != phase || done < phaseDone { phase = name; phaseStart = Date() }
        phaseDone = done
        guard done > 0 else { return "" }
        let elapsed = Date().timeIntervalSince(phaseStart)
        return "  ETA \(Self.clock(elapsed / Double(done) * Double(total - done)))"
    }

    static func summary(_ row: RowResult) -> String {
        let seconds = String(format: "%.1f s", row.wallSeconds)
        switch row.status {
        case .finished:
            let numbers = row.metrics.map { m in
                m.standardDeviation.map { String(format: "%@ %.3f ± %.3f", m.name, m.value, $0) } ?? String(format: "%@ %.3f", m.name, m.value)
            }
            return "\(row.id)  done in \(seconds): \(numbers.joined(separator: ", "))"
        case .skipped(let reason): return "\(row.id)  SKIPPED: \(reason)"
        case .failed(let message): return "\(row.id)  FAILED after \(seconds): \(message)"
        }
    }

    static func describe(_ progress: RowProgress) -> String {
        switch progress {
        case .training(let p):
            return "training \(bar(Double(p.completedIterations) / Double(max(1, p.totalIterations)))) "
                + "\(p.completedIterations)/\(p.totalIterations) it  loss \(String(format: "%.4f", p.loss))  "
                + "\(String(format: "%.0f", p.imagesPerSecond)) img/s  ETA \(clock(p.secondsRemaining))"
        case .matching(let p):
            let remaining = p.pairsPerSecond > 0 ? Double(p.pairsTotal - p.pairsDone) / p.pairsPerSecond : .infinity
            return "matching \(bar(Double(p.pairsDone) / Double(max(1, p.pairsTotal)))) \(p.pairsDone)/\(p.pairsTotal) pairs  ETA \(clock(remaining))"
        case .regression(let r):
            switch r {
            case .extraction(let split, let done, let total):
                return "descriptors \(split.prefix(24)) \(bar(Double(done) / Double(max(1, total)))) \(done)/\(total)"
            case .descriptors(let report): return "descriptors of \(report.identity.prefix(32)) ready (\(report.items))"
            case .limitedAnnotationRun(let annotations, let seed): return "regressor: \(annotations) annotations, seed \(seed)"
            case .epoch(let epoch, let total):
                return "regressor \(bar(Double(epoch.epoch) / Double(max(1, total)))) epoch \(epoch.epoch)/\(total)  "
                    + "loss \(String(format: "%.4f", epoch.trainLoss))"
            }
        }
    }

    static func bar(_ fraction: Double, width: Int = 20) -> String {
        let filled = max(0, min(width, Int((fraction * Double(width)).rounded())))
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
    }

    static func clock(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "--:--" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }

    private var lineOpen = false

    private func emit(_ text: String, force: Bool) {
        if interactive {
            let width = 118
            let line = text.count > width ? String(text.prefix(width)) : text.padding(toLength: width, withPad: " ", startingAt: 0)
            FileHandle.standardOutput.write(Data(("\r" + line).utf8))
            lineOpen = true
        } else if force || Date().timeIntervalSince(lastLog) >= 10 {
            say(text)
            lastLog = Date()
        }
    }

    private func finishLine() {
        if lineOpen {
            FileHandle.standardOutput.write(Data("\r\u{1B}[K".utf8))
            lineOpen = false
        }
    }
}
