import Foundation

/// How trajectory tolerances come from the blessing runs, and how a run is judged against them.
///
/// Rule: each value (a step's loss, a tensor's displacement) is blessed from the first recording;
/// its spread is the largest relative distance of any other recording (other BLAS kernels, other
/// thread counts) from it; its tolerance is `max(floor, factor × spread)`. The factor covers the
/// kernels that were not measured; the floor covers values on which every blessing run agreed
/// bit for bit (float32 rounding alone moves a loss by ~1e-7).
public enum TrajectoryTolerance {
    public static let factor = 4.0
    public static let lossFloor = 1e-5
    public static let displacementFloor = 1e-4
    /// Displacements that differ by more than this (5 %) between blessing runs are noise, not signal, and
    /// are left out of the gate by name. The biases of convolutions followed by BatchNorm, whose true
    /// gradient is exactly zero, are not even recorded (`DescriptorNetworks.biasesCancelledByBatchNorm`):
    /// some of them happened to spread less than 5 % across the blessing kernels and were gated, and
    /// the next change of summation order moved one of them by 9 %.
    public static let noiseSpread = 0.05
    public static let rule = "relative: max(floor, 4 × spread across the blessing runs); floors 1e-5 (losses), 1e-4 (displacements); displacements spreading over 5 % are ungated noise"

    static func relative(_ value: Double, from reference: Double) -> Double {
        abs(value - reference) / max(abs(reference), 1e-12)
    }

    /// The expected file blessed from `recordings` (at least one; the first gives the values).
    public static func bless(_ recordings: [TrajectoryFile], kernels: [String]) throws(TrajectoryError) -> TrajectoryFile {
        guard let reference = recordings.first else { throw .nothingToBless }
        var probes: [TrajectoryFile.Probe] = []
        var ungated: [String: [String]] = [:]
        for probe in reference.probes {
            var blessed = probe
            var lossSpread = [Double](repeating: 0, count: probe.losses.count)
            var displacementSpread = [Double](repeating: 0, count: probe.displacement.count)
            for (index, other) in recordings.enumerated().dropFirst() {
                guard let twin = other.probe(probe.name), twin.losses.count == probe.losses.count,
                      twin.displacementKeys == probe.displacementKeys else {
                    throw .recordingsDisagree(probe: probe.name, recording: index + 1)
                }
                for k in probe.losses.indices {
                    lossSpread[k] = max(lossSpread[k], relative(twin.losses[k], from: probe.losses[k]))
                }
                for t in probe.displacement.indices {
                    displacementSpread[t] = max(displacementSpread[t], relative(twin.displacement[t], from: probe.displacement[t]))
                }
            }
            blessed.lossSpread = lossSpread
            blessed.lossTolerance = lossSpread.map { max(lossFloor, factor * $0) }
            let gated = probe.displacement.indices.filter { displacementSpread[$0] <= noiseSpread }
            ungated[probe.name] = probe.displacement.indices.filter { displacementSpread[$0] > noiseSpread }
                .map { probe.displacementKeys[$0] }
            blessed.displacementKeys = gated.map { probe.displacementKeys[$0] }
            blessed.displacement = gated.map { probe.displacement[$0] }
            blessed.displacementSpread = gated.map { displacementSpread[$0] }
            blessed.displacementTolerance = gated.map { max(displacementFloor, factor * displacementSpread[$0]) }
            probes.append(blessed)
        }
        var attributes = reference.attributes
        attributes["blessed_kernels"] = kernels.joined(separator: ", ")
        attributes["blessed_recordings"] = String(recordings.count)
        attributes["tolerance_rule"] = rule
        for (probe, keys) in ungated where !keys.isEmpty {
            attributes["ungated.\(probe)"] = keys.joined(separator: " ")
        }
        return TrajectoryFile(attributes: attributes, probes: probes)
    }

    /// Judges `recorded` against `expected`: every expected probe must have run, and every value must
    /// lie within its tolerance.
    public static func compare(_ recorded: TrajectoryFile, against expected: TrajectoryFile) -> TrajectoryReport {
        var lines: [TrajectoryReport.Line] = []
        for blessed in expected.probes {
            guard let run = recorded.probe(blessed.name) else {
                lines.append(.init(probe: blessed.name, verdict: .missing, worst: "not run"))
                continue
            }
            guard let lossTolerance = blessed.lossTolerance, let displacementTolerance = blessed.displacementTolerance else {
                lines.append(.init(probe: blessed.name, verdict: .missing, worst: "the expected file holds no tolerances (not blessed)"))
                continue
            }
            let runDisplacement = Dictionary(zip(run.displacementKeys, run.displacement)) { a, _ in a }
            let absent = blessed.displacementKeys.filter { runDisplacement[$0] == nil }
            guard run.losses.count == blessed.losses.count, absent.isEmpty else {
                lines.append(.init(probe: blessed.name, verdict: .fail,
                                   worst: "shape: \(run.losses.count) iterations, expected \(blessed.losses.count); tensors not in this run: \(absent.prefix(3).joined(separator: ", "))"))
                continue
            }
            var worstRatio = 0.0, worst = ""
            var firstFailure: String?
            for k in blessed.losses.indices {
                let error = relative(run.losses[k], from: blessed.losses[k])
                let ratio = (error / lossTolerance[k]).isNaN ? .infinity : error / lossTolerance[k]
                let text = String(format: "loss step %d: %.6g vs %.6g (rel %.2e, tol %.1e)", k + 1, run.losses[k], blessed.losses[k],
                                  error, lossTolerance[k])
                if ratio > 1, firstFailure == nil { firstFailure = text }
                if ratio > worstRatio || worst.isEmpty { worstRatio = ratio; worst = text }
            }
            for t in blessed.displacement.indices {
                let got = runDisplacement[blessed.displacementKeys[t]] ?? .nan
                let error = relative(got, from: blessed.displacement[t])
                let ratio = (error / displacementTolerance[t]).isNaN ? .infinity : error / displacementTolerance[t]
                let text = String(format: "‖Δ %@‖: %.6g vs %.6g (rel %.2e, tol %.1e)", blessed.displacementKeys[t], got,
                                  blessed.displacement[t], error, displacementTolerance[t])
                if ratio > 1, firstFailure == nil { firstFailure = text }
                if ratio > worstRatio { worstRatio = ratio; worst = text }
            }
            let ok = worstRatio <= 1
            lines.append(.init(probe: blessed.name, verdict: ok ? .pass : .fail, worst: ok ? worst : (firstFailure ?? worst),
                               worstRatio: worstRatio))
        }
        for run in recorded.probes where expected.probe(run.name) == nil {
            lines.append(.init(probe: run.name, verdict: .unexpected, worst: "no expected trajectory (bless it)"))
        }
        return TrajectoryReport(lines: lines, blessedKernels: expected.attributes["blessed_kernels"] ?? "unknown",
                                blessedCPU: expected.attributes["cpu"] ?? "unknown",
                                currentKernel: recorded.attributes["blas_core"] ?? "unknown",
                                currentCPU: recorded.attributes["cpu"] ?? "unknown")
    }
}

public struct TrajectoryReport: Sendable {
    public enum Verdict: String, Sendable {
        case pass, fail, missing, unexpected
    }

    public struct Line: Sendable {
        public var probe: String
        public var verdict: Verdict
        /// The value nearest its tolerance (passing) or the first outside it (failing).
        public var worst: String
        /// Worst relative error over its tolerance (≤ 1 passes).
        public var worstRatio: Double = .nan
    }

    public var lines: [Line]
    public var blessedKernels: String
    public var blessedCPU: String
    public var currentKernel: String
    public var currentCPU: String

    /// 0 when every blessed probe ran within tolerance; 2 otherwise (a regression, like `diff`). A probe
    /// that was run but never blessed does not fail the gate but is listed.
    public var exitCode: Int32 {
        lines.contains { $0.verdict == .fail || $0.verdict == .missing } ? 2 : 0
    }

    public func render() -> [String] {
        var out = ["trajectories: blessed with BLAS \(blessedKernels) on \(blessedCPU); this run: BLAS \(currentKernel) on \(currentCPU)"]
        let width = max(8, lines.map(\.probe.count).max() ?? 0)
        for line in lines {
            let ratio = line.worstRatio.isNaN ? "" : String(format: " [%.2f of tol]", line.worstRatio)
            out.append("  \(line.probe.padding(toLength: width, withPad: " ", startingAt: 0))  \(line.verdict.rawValue.uppercased())  \(line.worst)\(ratio)")
        }
        let failed = lines.filter { $0.verdict == .fail || $0.verdict == .missing }.count
        out.append("trajectories: \(lines.count - failed) of \(lines.count) probes within tolerance")
        return out
    }
}

public enum TrajectoryError: Error, CustomStringConvertible, Sendable {
    case nothingToBless
    case recordingsDisagree(probe: String, recording: Int)

    public var description: String {
        switch self {
        case .nothingToBless: "bless needs at least one recording"
        case .recordingsDisagree(let probe, let recording):
            "recording \(recording) does not hold probe '\(probe)' with the same iterations and tensors as the first"
        }
    }
}

extension TrajectoryFile {
    /// Runs every standard probe and returns the recording, with the machine's provenance.
    public static func record(command: String, threads: Int, repository: URL? = nil,
                              progress: (String) -> Void = { _ in }) throws -> TrajectoryFile {
        let provenance = Provenance.current(command: command, threads: threads, repository: repository)
        var probes: [Probe] = []
        for probe in try TrajectoryProbe.standard() {
            progress(probe.name)
            probes.append(Probe(try probe.run(), summary: probe.summary))
        }
        return TrajectoryFile(attributes: provenance.stringAttributes(prefix: ""), probes: probes)
    }
}
