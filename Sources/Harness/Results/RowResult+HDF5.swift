import HDF5

/// One row of a results file. The row's group sits at its id as a nested path
/// (`/T01/celeba-smallnet-3d-dve/matching`) and holds:
///
/// - attributes `status` (`finished`|`skipped`|`failed`), `reason` (skipped) or `message` (failed),
///   `manifest_sha256`, `mode`, `scale`, `data_source`, `wall_seconds` (float64), `order` (int64,
///   the row's position in the set), and `detail.<key>` (string) per detail;
/// - dataset `seeds`: int64 `[n]`, each UInt64 seed stored by its bit pattern, so seeds above
///   Int64.max survive;
/// - `metrics/<name>`: scalar float64, attributes `order` (int64) and, when set, `std` (float64),
///   `runs` (int64);
/// - `figures/` only when the row has figures: `matches/<i>/{source,target}` uint8 `[H, W, 3]`,
///   `matches/<i>/{source,matched,true}_points` float64 `[N, 2]` (x, y pixels), `embedding_input`
///   and `embedding_pca` uint8 `[H, W, 3]` when present;
/// - `keypoints/` for matching rows: every scored keypoint (see `MatchingKeypoints`);
/// - `curve/` when the run evaluated the embedding during training (see `LearningCurve`).
///
/// Floats are stored as their float64 bits, so a row reads back `==` to the one written.
extension RowResult {
    func write(into group: HDF5Group, order: Int) throws {
        try group.setAttribute("status", .string(status.name))
        switch status {
        case .finished: break
        case .skipped(let reason): try group.setAttribute("reason", .string(reason))
        case .failed(let message): try group.setAttribute("message", .string(message))
        }
        try group.setAttribute("manifest_sha256", .string(manifestSHA256))
        try group.setAttribute("mode", .string(mode))
        try group.setAttribute("scale", .string(scale))
        try group.setAttribute("data_source", .string(dataSource))
        try group.setAttribute("wall_seconds", .float64(wallSeconds))
        try group.setAttribute("order", .int64(Int64(order)))
        for (key, value) in details.sorted(by: { $0.key < $1.key }) {
            try group.setAttribute("detail.\(key)", .string(value))
        }
        try group.write("seeds", int64: seeds.map { Int64(bitPattern: $0) }, shape: [seeds.count])
        if !metrics.isEmpty {
            let metricsGroup = try group.createGroup("metrics")
            for (index, metric) in metrics.enumerated() {
                let dataset = try metricsGroup.write(metric.name, float64: [metric.value], shape: [])
                try dataset.setAttribute("order", .int64(Int64(index)))
                if let std = metric.standardDeviation { try dataset.setAttribute("std", .float64(std)) }
                if let runs = metric.runs { try dataset.setAttribute("runs", .int64(Int64(runs))) }
            }
        }
        if let figures { try figures.write(into: try group.createGroup("figures")) }
        if let keypoints { try keypoints.write(into: try group.createGroup("keypoints")) }
        if let curve, !curve.isEmpty { try curve.write(into: try group.createGroup("curve")) }
    }

    /// Checks what the layout cannot hold before anything is written, so a bad row never leaves a
    /// half-written file (the write would be discarded anyway; this gives the better message).
    static func layoutProblem(_ row: RowResult) -> String? {
        if let problem = RowPath.problem(with: row.id, reserved: RowPath.reservedInResults) { return problem }
        for metric in row.metrics {
            if let problem = RowPath.problem(withName: metric.name, what: "metric of row '\(row.id)'") { return problem }
        }
        let names = row.metrics.map(\.name)
        if Set(names).count != names.count { return "row '\(row.id)' has the same metric twice" }
        if let key = row.details.keys.first(where: { $0.utf8.contains(0) }) {
            return "detail key \(key.debugDescription) of row '\(row.id)' contains a NUL byte"
        }
        return nil
    }

    init(group: HDF5Group, id: String, attributes bag: AttributeBag) throws {
        let status: Status
        switch try bag.string("status") {
        case "finished": status = .finished
        case "skipped": status = .skipped(reason: try bag.string("reason"))
        case "failed": status = .failed(message: try bag.string("message"))
        case let other:
            throw ResultsFileError.malformed(file: bag.file, object: bag.object,
                                             problem: "status '\(other)' is not finished, skipped or failed")
        }
        var metrics: [(order: Int, value: MetricValue)] = []
        if group.contains("metrics") {
            let metricsGroup = try group.group("metrics")
            for name in try metricsGroup.datasetNames() {
                let dataset = try metricsGroup.dataset(name)
                try dataset.requireShape([])
                let metricBag = try AttributeBag(dataset)
                let value = MetricValue(name: name, value: try dataset.readFloat64()[0],
                                        standardDeviation: try metricBag.optionalDouble("std"),
                                        runs: try metricBag.optionalInt("runs"))
                metrics.append((try metricBag.int("order"), value))
            }
        }
        self.init(id: id, manifestSHA256: try bag.string("manifest_sha256"), status: status,
                  metrics: metrics.sorted { $0.order < $1.order }.map(\.value),
                  mode: try bag.string("mode"), scale: try bag.string("scale"),
                  dataSource: try bag.string("data_source"),
                  seeds: try group.dataset("seeds").readInt64().map { UInt64(bitPattern: $0) },
                  wallSeconds: try bag.double("wall_seconds"),
                  details: try bag.prefixedStrings("detail."),
                  figures: group.contains("figures") ? try RowFigures(group: try group.group("figures")) : nil,
                  keypoints: group.contains("keypoints") ? try MatchingKeypoints(group: try group.group("keypoints")) : nil,
                  curve: group.contains("curve") ? try LearningCurve(group: try group.group("curve")) : nil)
    }
}

extension RowFigures {
    func write(into group: HDF5Group) throws {
        for (index, match) in matches.enumerated() {
            let pair = try group.createGroup("matches/\(index)")
            try pair.write(picture: match.source, as: "source")
            try pair.write(picture: match.target, as: "target")
            try pair.write(points: match.sourcePoints, as: "source_points")
            try pair.write(points: match.matchedPoints, as: "matched_points")
            try pair.write(points: match.truePoints, as: "true_points")
        }
        if let embeddingInput { try group.write(picture: embeddingInput, as: "embedding_input") }
        if let embeddingPCA { try group.write(picture: embeddingPCA, as: "embedding_pca") }
    }

    init(group: HDF5Group) throws {
        var matches: [MatchFigure] = []
        if group.contains("matches") {
            let matchesGroup = try group.group("matches")
            let names = try matchesGroup.groupNames()
            // Groups list by name ("10" before "2"), so the pairs are put back by number, and a gap
            // means the file was edited or damaged rather than written by us.
            guard Set(names) == Set((0..<names.count).map(String.init)) else {
                throw ResultsFileError.malformed(file: group.file.path, object: matchesGroup.path,
                                                 problem: "match groups \(names) are not 0..<\(names.count)")
            }
            for index in 0..<names.count {
                let pair = try matchesGroup.group(String(index))
                matches.append(MatchFigure(
                    source: try pair.readPicture("source"), target: try pair.readPicture("target"),
                    sourcePoints: try pair.readPoints("source_points"),
                    matchedPoints: try pair.readPoints("matched_points"),
                    truePoints: try pair.readPoints("true_points")))
            }
        }
        self.init(matches: matches,
                  embeddingInput: group.contains("embedding_input") ? try group.readPicture("embedding_input") : nil,
                  embeddingPCA: group.contains("embedding_pca") ? try group.readPicture("embedding_pca") : nil)
    }
}

extension HDF5Group {
    fileprivate func write(picture: RGBPicture, as name: String) throws {
        try write(name, uint8: picture.pixels, shape: [picture.height, picture.width, 3])
    }

    fileprivate func write(points: [(x: Double, y: Double)], as name: String) throws {
        try write(name, float64: points.flatMap { [$0.x, $0.y] }, shape: [points.count, 2])
    }

    fileprivate func readPicture(_ name: String) throws -> RGBPicture {
        let dataset = try dataset(name)
        guard dataset.shape.count == 3, dataset.shape[2] == 3 else {
            throw ResultsFileError.malformed(file: file.path, object: dataset.path,
                                             problem: "a picture must be [height, width, 3], found \(dataset.shape)")
        }
        return RGBPicture(width: dataset.shape[1], height: dataset.shape[0], pixels: try dataset.readUInt8())
    }

    fileprivate func readPoints(_ name: String) throws -> [(x: Double, y: Double)] {
        let dataset = try dataset(name)
        guard dataset.shape.count == 2, dataset.shape[1] == 2 else {
            throw ResultsFileError.malformed(file: file.path, object: dataset.path,
                                             problem: "points must be [n, 2], found \(dataset.shape)")
        }
        let flat = try dataset.readFloat64()
        return stride(from: 0, to: flat.count, by: 2).map { (x: flat[$0], y: flat[$0 + 1]) }
    }
}
