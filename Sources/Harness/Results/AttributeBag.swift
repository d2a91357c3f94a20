import HDF5

/// All attributes of one object, read at once, with getters that fail naming the file, the object
/// and the attribute. Results and expected files keep most facts as attributes, so every reader
/// goes through here rather than repeating the "missing or wrong type" message.
struct AttributeBag {
    let file: String
    let object: String
    private(set) var values: [String: HDF5Value]

    init(_ object: some HDF5Object) throws(HDF5Error) {
        file = object.file.path
        self.object = object.path
        var values: [String: HDF5Value] = [:]
        for name in try object.attributeNames() { values[name] = try object.attribute(name) }
        self.values = values
    }

    init(file: String, object: String, values: [String: HDF5Value]) {
        self.file = file
        self.object = object
        self.values = values
    }

    func has(_ name: String) -> Bool { values[name] != nil }

    private func problem(_ name: String, _ text: String) -> ResultsFileError {
        .malformed(file: file, object: object, problem: "attribute '\(name)' \(text)")
    }

    private func required(_ name: String) throws(ResultsFileError) -> HDF5Value {
        guard let value = values[name] else { throw problem(name, "is missing") }
        return value
    }

    func string(_ name: String) throws(ResultsFileError) -> String {
        guard let text = try required(name).stringValue else { throw problem(name, "is not a string") }
        return text
    }

    func optionalString(_ name: String) throws(ResultsFileError) -> String? {
        has(name) ? try string(name) : nil
    }

    func int(_ name: String) throws(ResultsFileError) -> Int {
        guard let number = try required(name).intValue, let int = Int(exactly: number) else {
            throw problem(name, "is not an integer")
        }
        return int
    }

    func optionalInt(_ name: String) throws(ResultsFileError) -> Int? {
        has(name) ? try int(name) : nil
    }

    func double(_ name: String) throws(ResultsFileError) -> Double {
        guard let number = try required(name).doubleValue else { throw problem(name, "is not a number") }
        return number
    }

    func optionalDouble(_ name: String) throws(ResultsFileError) -> Double? {
        has(name) ? try double(name) : nil
    }

    func bool(_ name: String) throws(ResultsFileError) -> Bool {
        guard let flag = try required(name).boolValue else { throw problem(name, "is not 0 or 1") }
        return flag
    }

    /// Attributes named `<prefix><rest>`, keyed by `rest`, in name order.
    func prefixed(_ prefix: String) -> [(name: String, value: HDF5Value)] {
        values.filter { $0.key.hasPrefix(prefix) }.sorted { $0.key < $1.key }
            .map { (String($0.key.dropFirst(prefix.count)), $0.value) }
    }

    /// String attributes named `<prefix><rest>`, keyed by `rest`.
    func prefixedStrings(_ prefix: String) throws(ResultsFileError) -> [String: String] {
        var result: [String: String] = [:]
        for (rest, value) in prefixed(prefix) {
            guard let text = value.stringValue else { throw problem(prefix + rest, "is not a string") }
            result[rest] = text
        }
        return result
    }

    /// The same attributes seen as those of `<prefix>…` only, prefix removed: lets one decoder read
    /// the root's provenance and a merged file's `shard.<i>.` copies alike.
    func scoped(_ prefix: String) -> AttributeBag {
        AttributeBag(file: file, object: object,
                     values: Dictionary(uniqueKeysWithValues: prefixed(prefix).map { ($0.name, $0.value) }))
    }
}

/// The `kind`/`schema` pair every DVEBench HDF5 file carries at its root.
enum FileKind {
    /// Throws unless the root says `kind` = `expected` with a schema this build reads.
    static func check(_ root: AttributeBag, kind expected: String, supported: Int) throws(ResultsFileError) {
        guard let found = root.values["kind"]?.stringValue, found == expected else {
            throw .wrongKind(file: root.file, expected: expected, found: root.values["kind"]?.stringValue)
        }
        let schema = try root.int("schema")
        if schema > supported {
            throw .newerSchema(file: root.file, kind: expected, found: schema, supported: supported)
        }
    }
}

extension FileKind {
    /// Opens `path`, checks that it is a `kind` file of a schema this build reads, and runs `body`
    /// with the file and its root attributes; every error names the file.
    static func read<T>(_ path: String, kind: String, schema: Int,
                        _ body: (HDF5File, AttributeBag) throws -> T) throws(ResultsFileError) -> T {
        try IsolatedRead.check(path, kind: kind)
        do {
            let file = try HDF5File.open(path)
            defer { file.close() }
            let root = try AttributeBag(file.root)
            try check(root, kind: kind, supported: schema)
            return try body(file, root)
        } catch {
            throw ResultsFileError.wrap(error, file: path)
        }
    }
}

extension FileKind {
    /// Writes `path` atomically as a `kind` file: `kind`, `schema` and the free string `attributes` on
    /// the root (sorted, for a reproducible file), then `body` fills it; every error names the file.
    static func write(_ path: String, kind: String, schema: Int, attributes: [String: String],
                      _ body: (HDF5Group) throws -> Void) throws(ResultsFileError) {
        do {
            try HDF5File.write(to: path) { root in
                try root.setAttribute("kind", .string(kind))
                try root.setAttribute("schema", .int64(Int64(schema)))
                for (name, value) in attributes.sorted(by: { $0.key < $1.key }) where name != "kind" && name != "schema" {
                    try root.setAttribute(name, .string(value))
                }
                try body(root)
            }
        } catch {
            throw ResultsFileError.wrap(error, file: path)
        }
    }
}

extension AttributeBag {
    /// The free attributes (all but `kind` and `schema`) as text. They are documented as strings;
    /// anything else is kept as its text rather than refusing an otherwise good file.
    var freeStrings: [String: String] {
        var out: [String: String] = [:]
        for (name, value) in values where name != "kind" && name != "schema" {
            out[name] = value.stringValue ?? "\(value)"
        }
        return out
    }
}
