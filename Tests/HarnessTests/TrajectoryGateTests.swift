import Foundation
import Testing
@testable import Harness
import Landmarks

/// The fast layer of the CI gate: blessing rule, verdicts, the file, and the committed
/// `expected/trajectories.h5` against this build — including defects it must catch.
@Suite(.serialized) struct TrajectoryGateTests {
    static func probe(_ name: String, losses: [Double], keys: [String], displacement: [Double]) -> TrajectoryFile.Probe {
        TrajectoryFile.Probe(Trajectory(name: name, losses: losses, displacement: Array(zip(keys, displacement)).map { (key: $0.0, norm: $0.1) }),
                             summary: "test probe")
    }

    static func recording(_ probes: [TrajectoryFile.Probe], kernel: String) -> TrajectoryFile {
        TrajectoryFile(attributes: ["blas_core": kernel, "cpu": "Test CPU"], probes: probes)
    }

    @Test func blessingTakesTheFirstRecordingAndFourTimesTheSpreadAndDropsNoise() throws {
        let keys = ["conv.weight", "conv.bias", "bn.running_mean"]
        let a = Self.probe("p", losses: [2.0, 1.0, 0.5], keys: keys, displacement: [1.0, 0.01, 0.2])
        let b = Self.probe("p", losses: [2.0, 1.001, 0.5 * (1 + 1e-7)], keys: keys, displacement: [1.0 + 1e-3, 0.02, 0.2])
        let blessed = try TrajectoryTolerance.bless([Self.recording([a], kernel: "Haswell"), Self.recording([b], kernel: "Sandybridge")],
                                                    kernels: ["Haswell", "Sandybridge"])
        let p = try #require(blessed.probe("p"))
        #expect(p.losses == a.losses)
        #expect(p.lossTolerance?[0] == TrajectoryTolerance.lossFloor)
        #expect(abs((p.lossTolerance?[1] ?? 0) - 4e-3) < 1e-12)
        #expect(p.lossTolerance?[2] == TrajectoryTolerance.lossFloor)
        // The bias moved twice as far under the other kernel: noise, left out by name.
        #expect(p.displacementKeys == ["conv.weight", "bn.running_mean"])
        #expect(abs((p.displacementTolerance?[0] ?? 0) - 4e-3) < 1e-12)
        #expect(p.displacementTolerance?[1] == TrajectoryTolerance.displacementFloor)
        #expect(blessed.attributes["ungated.p"] == "conv.bias")
        #expect(blessed.attributes["blessed_kernels"] == "Haswell, Sandybridge")
    }

    @Test func aRunPassesInsideItsTolerancesAndFailsOutsideThemOnNaNAndWhenAProbeIsMissing() throws {
        let keys = ["w"]
        let base = Self.probe("p", losses: [2.0, 1.0], keys: keys, displacement: [1.0])
        let blessed = try TrajectoryTolerance.bless([Self.recording([base, Self.probe("q", losses: [1], keys: keys, displacement: [1])], kernel: "Haswell")],
                                                    kernels: ["Haswell"])
        func verdicts(_ probes: [TrajectoryFile.Probe]) -> [String: TrajectoryReport.Verdict] {
            let report = TrajectoryTolerance.compare(Self.recording(probes, kernel: "Zen"), against: blessed)
            return Dictionary(uniqueKeysWithValues: report.lines.map { ($0.probe, $0.verdict) })
        }
        let q = Self.probe("q", losses: [1], keys: keys, displacement: [1])
        #expect(verdicts([Self.probe("p", losses: [2.0, 1.0 + 5e-6], keys: keys, displacement: [1.00005]), q]) == ["p": .pass, "q": .pass])
        #expect(verdicts([Self.probe("p", losses: [2.0, 1.0 + 2e-5], keys: keys, displacement: [1.0]), q])["p"] == .fail)
        #expect(verdicts([Self.probe("p", losses: [2.0, 1.0], keys: keys, displacement: [1.001]), q])["p"] == .fail)
        #expect(verdicts([Self.probe("p", losses: [.nan, 1.0], keys: keys, displacement: [1.0]), q])["p"] == .fail)
        #expect(verdicts([Self.probe("p", losses: [2.0], keys: keys, displacement: [1.0]), q])["p"] == .fail)
        #expect(verdicts([q])["p"] == .missing)
        let report = TrajectoryTolerance.compare(Self.recording([q], kernel: "Zen"), against: blessed)
        #expect(report.exitCode == 2)
        #expect(report.render().first?.contains("blessed with BLAS Haswell") == true)
        #expect(report.render().first?.contains("this run: BLAS Zen") == true)
    }

    @Test func theFileRoundTripsAndRefusesAMismatchedShape() throws {
        let dir = try ResultsFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("t.h5").path
        let blessed = try TrajectoryTolerance.bless(
            [Self.recording([Self.probe("p", losses: [2.0, 1.0], keys: ["a", "b"], displacement: [1.0, 0.5])], kernel: "Haswell")],
            kernels: ["Haswell"])
        try blessed.write(to: path)
        let read = try TrajectoryFile.load(path)
        #expect(read.probe("p")?.losses == [2.0, 1.0])
        #expect(read.probe("p")?.displacementKeys == ["a", "b"])
        #expect(read.probe("p")?.lossTolerance == blessed.probe("p")?.lossTolerance)
        #expect(read.attributes["tolerance_rule"] == TrajectoryTolerance.rule)

        var broken = blessed
        broken.probes[0].lossTolerance = [1e-5]
        try broken.write(to: path)
        #expect { try TrajectoryFile.load(path) } throws: { "\($0)".contains("loss_tolerance has 1 values, expected 2") }
    }

    // MARK: the committed expected file against this build

    static var expectedPath: String {
        RunnerManifests.repositoryRoot.appendingPathComponent("expected/trajectories.h5").path
    }

    /// Runs the first `steps` iterations of `probe` and judges their losses against the blessed
    /// values of `name` (its first `steps` losses and their tolerances). The release gate runs every
    /// probe in full (`reproduce --quick`); a debug-build test keeps to a few steps.
    static func judge(_ probe: TrajectoryProbe, as name: String, steps: Int) throws -> TrajectoryReport.Line {
        let expected = try TrajectoryFile.load(expectedPath)
        var blessed = try #require(expected.probe(name))
        blessed.losses = Array(blessed.losses.prefix(steps))
        blessed.lossSpread = blessed.lossSpread.map { Array($0.prefix(steps)) }
        blessed.lossTolerance = blessed.lossTolerance.map { Array($0.prefix(steps)) }
        (blessed.displacementKeys, blessed.displacement) = ([], [])
        (blessed.displacementSpread, blessed.displacementTolerance) = ([], [])
        var run = probe
        run.name = name
        guard case .embedding(var configuration) = run.kind else { throw CocoaError(.featureUnsupported) }
        configuration.stepsPerEpoch = steps
        run.kind = .embedding(configuration)
        let recorded = TrajectoryFile(attributes: [:], probes: [TrajectoryFile.Probe(try run.run(), summary: run.summary)])
        let report = TrajectoryTolerance.compare(recorded, against: TrajectoryFile(attributes: expected.attributes, probes: [blessed]))
        return try #require(report.lines.first)
    }

    static func smallNetDVE() throws -> (TrajectoryProbe, TrainingConfiguration) {
        let probe = try #require(try TrajectoryProbe.standard().first { $0.name == "smallnet-16d-dve" })
        guard case .embedding(let configuration) = probe.kind else { throw CocoaError(.featureUnsupported) }
        return (probe, configuration)
    }

    @Test func theCommittedSmallNetDVETrajectoryHoldsOnThisMachine() throws {
        let (probe, _) = try Self.smallNetDVE()
        let line = try Self.judge(probe, as: probe.name, steps: 2)
        #expect(line.verdict == .pass, "\(line.worst)")
    }

    @Test func defectsInTheLossAndTheOptimiserMoveItBeyondTolerance() throws {
        let (probe, configuration) = try Self.smallNetDVE()
        var noExchange = configuration
        noExchange.exchangeDescriptors = false
        var slowLearning = configuration
        slowLearning.learningRate *= 0.1
        for (defect, changed) in [("descriptor exchange off", noExchange), ("learning rate × 0.1", slowLearning)] {
            var mutant = probe
            mutant.kind = .embedding(changed)
            let line = try Self.judge(mutant, as: probe.name, steps: 2)
            #expect(line.verdict == .fail, "\(defect) passed the gate: \(line.worst)")
        }
    }
}
