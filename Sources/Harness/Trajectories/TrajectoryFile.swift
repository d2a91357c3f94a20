import Foundation
import HDF5

/// A set of recorded trajectories, optionally blessed: a recording (`dvebench trajectories record`)
/// has values only; the expected file (`expected/trajectories.h5`, written by `bless`) adds each
/// value's spread across the blessing runs and its tolerance.
///
/// File (`kind` = "dvebench-trajectories", `schema` = 1): root attributes hold provenance (`cpu`,
/// `blas_core`, `git_commit`, …) and, when blessed, `blessed_kernels`, `blessed_cpu` and
/// `tolerance_rule`. One group per probe with attribute `summary` and datasets `losses` [K],
/// `displacement` [T], `displacement_keys` [T] (strings); blessed: `loss_spread`, `loss_tolerance`
/// [K], `displacement_spread`, `displacement_tolerance` [T], all relative to the value.
public struct TrajectoryFile: Sendable {
    public struct Probe: Sendable {
        public var name: String
        public var summary: String
        public var losses: [Double]
        public var displacementKeys: [String]
        public var displacement: [Double]
        public var lossSpread: [Double]?
        public var lossTolerance: [Double]?
        public var displacementSpread: [Double]?
        public var displacementTolerance: [Double]?

        public init(_ trajectory: Trajectory, summary: String) {
            name = trajectory.name
            self.summary = summary
            losses = trajectory.losses
            displacementKeys = trajectory.displacement.map(\.key)
            displacement = trajectory.displacement.map(\.norm)
        }

        public var isBlessed: Bool { lossTolerance != nil && displacementTolerance != nil }
    }

    public static let kind = "dvebench-trajectories"
    public static let schema = 1

    public var attributes: [String: String]
    public var probes: [Probe]

    public init(attributes: [String: String], probes: [Probe]) {
        self.attributes = attributes
        self.probes = probes
    }

    public func probe(_ name: String) -> Probe? { probes.first { $0.name == name } }

    public static func load(_ path: String) throws(ResultsFileError) -> TrajectoryFile {
        try FileKind.read(path, kind: kind, schema: schema) { file, root in
            var probes: [Probe] = []
            for name in try file.root.groupNames().sorted() {
                let group = try file.root.group(name)
                let bag = try AttributeBag(group)
                func optional(_ dataset: String) throws -> [Double]? {
                    group.contains(dataset) ? try group.dataset(dataset).readFloat64() : nil
                }
                var probe = Probe(Trajectory(name: name, losses: try group.dataset("losses").readFloat64(), displacement: []),
                                  summary: try bag.string("summary"))
                probe.displacementKeys = try group.dataset("displacement_keys").readStrings()
                probe.displacement = try group.dataset("displacement").readFloat64()
                probe.lossSpread = try optional("loss_spread")
                probe.lossTolerance = try optional("loss_tolerance")
                probe.displacementSpread = try optional("displacement_spread")
                probe.displacementTolerance = try optional("displacement_tolerance")
                try probe.checkShapes(file: path)
                probes.append(probe)
            }
            return TrajectoryFile(attributes: root.freeStrings, probes: probes)
        }
    }

    /// Writes atomically (temporary sibling, then rename).
    public func write(to path: String) throws(ResultsFileError) {
        for probe in probes {
            if let problem = RowPath.problem(withName: probe.name, what: "trajectory probe") {
                throw .unwritable(file: path, problem: problem)
            }
        }
        try FileKind.write(path, kind: Self.kind, schema: Self.schema, attributes: attributes) { root in
            for probe in probes.sorted(by: { $0.name < $1.name }) {
                let group = try root.createGroup(probe.name)
                try group.setAttribute("summary", .string(probe.summary))
                _ = try group.write("losses", float64: probe.losses, shape: [probe.losses.count])
                _ = try group.write("displacement_keys", strings: probe.displacementKeys, shape: [probe.displacementKeys.count])
                _ = try group.write("displacement", float64: probe.displacement, shape: [probe.displacement.count])
                let optional: [(String, [Double]?)] = [
                    ("loss_spread", probe.lossSpread), ("loss_tolerance", probe.lossTolerance),
                    ("displacement_spread", probe.displacementSpread), ("displacement_tolerance", probe.displacementTolerance),
                ]
                for case let (name, values?) in optional {
                    _ = try group.write(name, float64: values, shape: [values.count])
                }
            }
        }
    }
}

extension TrajectoryFile.Probe {
    func checkShapes(file: String) throws(ResultsFileError) {
        func fail(_ text: String) -> ResultsFileError {
            .malformed(file: file, object: "/\(name)", problem: text)
        }
        guard displacementKeys.count == displacement.count else {
            throw fail("\(displacementKeys.count) displacement keys for \(displacement.count) values")
        }
        for (label, values, count) in [("loss_spread", lossSpread, losses.count), ("loss_tolerance", lossTolerance, losses.count),
                                       ("displacement_spread", displacementSpread, displacement.count),
                                       ("displacement_tolerance", displacementTolerance, displacement.count)] {
            if let values, values.count != count { throw fail("\(label) has \(values.count) values, expected \(count)") }
        }
        let all = losses + displacement + (lossTolerance ?? []) + (displacementTolerance ?? [])
        if all.contains(where: { !$0.isFinite }) { throw fail("holds a value that is not finite") }
    }
}
