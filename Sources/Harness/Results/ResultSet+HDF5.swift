import HDF5

/// A results file: root attributes `kind` = "dvebench-results", `schema` = 1, the provenance
/// (see `Provenance+Attributes.swift`), for a merged file each shard's `shard.<i>.file` and
/// provenance under `shard.<i>.`; then one group per row at its id (see `RowResult+HDF5.swift`).
///
/// A group is a row when it has a `status` attribute. Row ids may nest (`T01/x` and `T01/x/y`
/// can both be rows), so the reader keeps walking below a row, except into its `metrics` and
/// `figures` groups (nor its `keypoints` and `curve`).
extension ResultSet {
    public static let kind = "dvebench-results"
    /// The layout version written; files of a higher schema are refused by name.
    public static let schema = 1

    /// Writes the whole set to `path` atomically (temporary sibling, then rename): readers of `path`
    /// see the previous file or this one, never a mixture.
    public func write(to path: String) throws(ResultsFileError) {
        try validate(file: path)
        do {
            try HDF5File.write(to: path) { root in
                try root.setAttribute("kind", .string(Self.kind))
                try root.setAttribute("schema", .int64(Int64(Self.schema)))
                // With each row's `order`, lets a reader tell a damaged file from one with fewer rows.
                try root.setAttribute("row_count", .int64(Int64(rows.count)))
                if !requestedRows.isEmpty { try root.setAttribute("requested_rows", .string(requestedRows.joined(separator: "\n"))) }
                for (name, value) in provenance.attributes() { try root.setAttribute(name, value) }
                for (index, shard) in shards.enumerated() {
                    try root.setAttribute("shard.\(index).file", .string(shard.file))
                    for (name, value) in shard.provenance.attributes(prefix: "shard.\(index).") {
                        try root.setAttribute(name, value)
                    }
                }
                // A row written after one nested below it finds its group already created as an
                // intermediate, so it opens rather than creates.
                for (index, row) in rows.enumerated() {
                    let group = root.contains(row.id) ? try root.group(row.id) : try root.createGroup(row.id)
                    try row.write(into: group, order: index)
                }
            }
        } catch {
            throw ResultsFileError.wrap(error, file: path)
        }
    }

    /// Reads a results file. Errors name the file: not HDF5, not a results file, a newer schema, or
    /// a damaged or hand-edited layout.
    public static func read(from path: String) throws(ResultsFileError) -> ResultSet {
        try FileKind.read(path, kind: kind, schema: schema) { file, rootBag in
            var shards: [ShardProvenance] = []
            while rootBag.has("shard.\(shards.count).file") {
                let scoped = rootBag.scoped("shard.\(shards.count).")
                shards.append(ShardProvenance(file: try scoped.string("file"), provenance: try Provenance(attributes: scoped)))
            }
            var rows: [(order: Int, row: RowResult)] = []
            try collectRows(in: file.root, into: &rows)
            try checkComplete(rows.map(\.order), declared: rootBag.has("row_count") ? try rootBag.int("row_count") : nil, file: path)
            let requested = rootBag.has("requested_rows") ? try rootBag.string("requested_rows").split(separator: "\n").map(String.init) : []
            return ResultSet(provenance: try Provenance(attributes: rootBag),
                             rows: rows.sorted { $0.order < $1.order }.map(\.row), shards: shards, requestedRows: requested)
        }
    }

    /// Rows are written with `order` 0, 1, … and (since `row_count` exists) their number: a row
    /// that a damaged file no longer yields leaves a gap or a shortfall, and the file is refused
    /// instead of passing with fewer rows.
    static func checkComplete(_ orders: [Int], declared: Int?, file: String) throws(ResultsFileError) {
        let sorted = orders.sorted()
        if let declared, declared != orders.count {
            throw .damaged(file: file, problem: "it declares \(declared) rows but \(orders.count) can be read")
        }
        if let gap = sorted.enumerated().first(where: { $0.offset != $0.element }) {
            throw .damaged(file: file, problem: gap.element > gap.offset
                ? "row number \(gap.offset) of \(sorted.count + 1) is missing" : "row number \(gap.element) appears twice")
        }
    }

    private static func collectRows(in group: HDF5Group, into rows: inout [(order: Int, row: RowResult)], depth: Int = 0) throws {
        try group.checkNesting(depth: depth)
        let isRoot = group.path == "/"
        let bag = isRoot ? nil : try AttributeBag(group)
        if let bag, bag.has("status") {
            let id = String(group.path.dropFirst())
            let row = try RowResult(group: group, id: id, attributes: bag)
            // The runner fails a row whose metric is not finite; such a number here was put there by hand.
            if let bad = row.metrics.first(where: { !$0.isFinite }) {
                throw ResultsFileError.malformed(file: group.file.path, object: "\(group.path)/metrics/\(bad.name)",
                                                 problem: "\(bad.value) is not a number DVEBench writes")
            }
            rows.append((try bag.int("order"), row))
        }
        for name in try group.groupNames() {
            if bag?.has("status") == true, RowPath.reservedInResults.contains(name) { continue }
            try collectRows(in: try group.group(name), into: &rows, depth: depth + 1)
        }
    }

    private func validate(file path: String) throws(ResultsFileError) {
        if let bad = requestedRows.first(where: { $0.isEmpty || $0.contains("\n") }) {
            throw .unwritable(file: path, problem: "requested row id \(bad.debugDescription)")
        }
        var seen = Set<String>()
        for row in rows {
            if let problem = RowResult.layoutProblem(row) { throw .unwritable(file: path, problem: problem) }
            guard seen.insert(row.id).inserted else {
                throw .unwritable(file: path, problem: "row '\(row.id)' appears twice")
            }
        }
        for name in provenance.libraries.keys where name.isEmpty || name.utf8.contains(0) {
            throw .unwritable(file: path, problem: "library name \(name.debugDescription) cannot be an attribute name")
        }
    }
}
