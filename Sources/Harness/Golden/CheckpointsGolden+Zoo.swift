import Foundation
import HDF5
import Tensors
import TorchFormat

/// The tensor zoo (golden README §5): both `zoo-*.pth` files against `zoo-expected.json` — per tensor
/// dtype, shape, stride, storage offset, storage size and every value exactly; the containers of
/// `nested`; that `shared_a` and `shared_b` are views of one storage; and for the zip file its entry
/// list (`expected.h5 zoo/zip_entries`).
extension CheckpointsGolden {
    static func verifyZoo(_ files: [String], json: URL, directory: URL, expected: HDF5File?) -> [GoldenCheck] {
        let jsonName = folder + json.lastPathComponent
        let members: [GoldenJSON.Member]
        do {
            guard case .object(let object) = try GoldenJSON.parse([UInt8](Data(contentsOf: json))) else {
                return [GoldenCheck(file: jsonName, name: "(read)", outcome: .fail, detail: "not a JSON object")]
            }
            members = object.filter { !$0.key.hasPrefix("_") }
        } catch {
            return [.failure(file: jsonName, name: "(read)", error)]
        }
        var checks = [GoldenCheck(file: jsonName, name: "(read)", outcome: .pass, tolerance: "-",
                                  detail: "\(members.count) entries")]
        if files.isEmpty {
            checks.append(GoldenCheck(file: jsonName, name: "zoo files", outcome: .fail, detail: "no zoo-*.pth beside it"))
        }
        for fileName in files {
            let file: TorchFile
            do {
                file = try TorchFile.read(contentsOf: directory.appendingPathComponent(fileName).path)
            } catch {
                checks.append(.failure(file: fileName, name: "(read)", error))
                continue
            }
            for member in members {
                let key = member.key, expectation = member.value
                guard let value = file.object[key] else {
                    checks.append(GoldenCheck(file: fileName, name: "zoo/\(key)", outcome: .fail, detail: "no entry \(key) in the file"))
                    continue
                }
                let problems = zooProblems(value, expectation, path: key)
                checks.append(GoldenCheck(file: fileName, name: "zoo/\(key)", outcome: problems.isEmpty ? .pass : .fail,
                                          maxAbsError: problems.isEmpty ? 0 : .nan,
                                          detail: problems.isEmpty ? zooSummary(value) : problems.joined(separator: "; ")))
            }
            checks.append(same(fileName, "zoo keys, in order", file.object.dictionary?.stringKeys ?? [], members.map(\.key)))
            if let a = file.object["shared_a"]?.tensor, let b = file.object["shared_b"]?.tensor {
                checks.append(same(fileName, "zoo/shared_a and shared_b share one storage",
                                   [a.storage.key, String(a.storage.numel)], [b.storage.key, String(b.storage.numel)]))
            }
            if file.format == .zip, let expected, expected.root.contains("zoo/zip_entries") {
                do {
                    checks.append(same(fileName, "zip_entries (sorted)", file.zipEntries.sorted(),
                                       try expected.root.dataset("zoo/zip_entries").readStrings().sorted()))
                } catch {
                    checks.append(.failure(file: fileName, name: "zip_entries", error))
                }
            }
        }
        return checks
    }

    static func zooSummary(_ value: PickleValue) -> String {
        guard let t = value.tensor else { return value.typeName }
        return "\(t.dtype.rawValue) \(t.shape) stride \(t.stride) offset \(t.storageOffset) of \(t.storage.numel)"
    }

    /// What differs between a value from the file and its JSON description (empty when nothing does).
    static func zooProblems(_ value: PickleValue, _ expected: GoldenJSON, path: String) -> [String] {
        if expected["dtype"] != nil { return tensorProblems(value, expected, path: path) }
        switch (value, expected) {
        case (.none, .null): return []
        case (.bool(let a), .bool(let b)): return a == b ? [] : ["\(path): \(a), expected \(b)"]
        case (.int(let a), .number(let text)): return Int64(text) == a ? [] : ["\(path): \(a), expected \(text)"]
        case (.float(let a), .number(let text)): return Double(text) == a ? [] : ["\(path): \(a), expected \(text)"]
        case (.float(let a), .string(let s)) where s.hasPrefix("Infinity"): return a == .infinity ? [] : ["\(path): \(a), expected inf"]
        case (.string(let a), .string(let b)): return a == b ? [] : ["\(path): '\(a)', expected '\(b)'"]
        case (_, .array(let items)):
            guard let elements = value.elements, elements.count == items.count else {
                return ["\(path): \(value.typeName) of \(value.elements?.count ?? 0), expected \(items.count) items"]
            }
            return zip(elements, items).enumerated().flatMap { zooProblems($1.0, $1.1, path: "\(path)[\($0)]") }
        case (.dict(let d), .object(let members)):
            guard d.stringKeys == members.map(\.key) else {
                return ["\(path): keys \(d.stringKeys), expected \(members.map(\.key))"]
            }
            return members.flatMap { zooProblems(d[$0.key] ?? .none, $0.value, path: "\(path).\($0.key)") }
        default:
            return ["\(path): \(value.typeName) does not match the expectation"]
        }
    }

    static func tensorProblems(_ value: PickleValue, _ expected: GoldenJSON, path: String) -> [String] {
        guard let t = value.tensor else { return ["\(path): \(value.typeName), expected a tensor"] }
        var problems: [String] = []
        func ints(_ key: String) -> [Int]? {
            guard case .array(let items)? = expected[key] else { return nil }
            return items.map { $0.int64.map { Int($0) } ?? -1 }
        }
        if case .string(let dtype)? = expected["dtype"], dtype != t.dtype.rawValue { problems.append("dtype \(t.dtype.rawValue), expected \(dtype)") }
        if ints("shape") != t.shape { problems.append("shape \(t.shape), expected \(ints("shape") ?? [])") }
        if ints("stride") != t.stride { problems.append("stride \(t.stride), expected \(ints("stride") ?? [])") }
        if expected["storage_offset"]?.int64 != Int64(t.storageOffset) { problems.append("storage_offset \(t.storageOffset)") }
        if expected["storage_numel"]?.int64 != Int64(t.storage.numel) { problems.append("storage_numel \(t.storage.numel)") }
        guard case .array(let values)? = expected["values"] else { return problems + ["no values"] }
        let mismatch: Bool
        switch t.dtype {
        case .bool:
            let expectedBools: [Bool?] = values.map { if case .bool(let b) = $0 { b } else { nil } }
            mismatch = (t.int64s() ?? []).map { Optional($0 != 0) } != expectedBools
        case .int64, .int32, .int16, .int8, .uint8:
            mismatch = (t.int64s() ?? []).map { Optional($0) } != values.map(\.int64)
        default:
            // Exact: each JSON number is the stored value's exact decimal, parsed with correct rounding.
            mismatch = t.doubles().map { Optional($0) } != values.map(\.double)
        }
        if mismatch { problems.append("values differ") }
        return problems.map { "\(path): \($0)" }
    }
}
