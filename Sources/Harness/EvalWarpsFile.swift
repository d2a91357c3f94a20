import Foundation
import HDF5
import Landmarks

/// Why an eval-warps file could not be loaded. Every case names the file.
public enum EvalWarpsFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// HDF5 could not open or read the file (its message names the object).
    case unreadable(file: String, underlying: String)
    /// A required attribute is missing its value or has the wrong kind.
    case attribute(file: String, name: String, problem: String)
    case shape(file: String, dataset: String, expected: String, got: [Int])
    /// `weights` holds a NaN or infinite value.
    case nonFinite(file: String, item: Int, warp: Int)

    public var description: String {
        switch self {
        case .unreadable(let file, let underlying):
            "eval warps \(file): \(underlying)"
        case .attribute(let file, let name, let problem):
            "eval warps \(file): root attribute \(name) \(problem)"
        case .shape(let file, let dataset, let expected, let got):
            "eval warps \(file): dataset \(dataset) has shape \(got), expected \(expected)"
        case .nonFinite(let file, let item, let warp):
            "eval warps \(file): weights[\(item), \(warp)] holds a NaN or infinite value"
        }
    }
}

/// Reads `expected/eval-warps/<set>.h5`, the recorded TPS parameters of the matching protocol
/// (schema in that folder's README): `weights` float32 (N, 2, 103, 2), item `i`, warp 0 = first (g1),
/// warp 1 = second (g2); root attributes `set`, `num_items_in_set`, `num_items_drawn` (= N =
/// 2·⌊items/2⌋); `item_names` (MAFL only). Everything else in the file (`raw/*`, `affine/*`,
/// provenance) documents how the weights were drawn and is not needed to use them.
public enum EvalWarpsFile {
    /// The four sets and their file names.
    public static let setFileNames: [String: String] = [
        "mafl": "mafl.h5", "aflw": "aflw.h5", "aflw_mtfl": "aflw_mtfl.h5", "300w": "300w.h5",
    ]

    /// `<repository>/expected/eval-warps`.
    public static func directory(repositoryRoot: URL) -> URL {
        repositoryRoot.appendingPathComponent("expected").appendingPathComponent("eval-warps")
    }

    /// Loads one file. The returned `EvaluationWarps.name` is the file's last path component.
    public static func load(path: String) throws(EvalWarpsFileError) -> EvaluationWarps {
        let name = URL(fileURLWithPath: path).lastPathComponent
        // Eval warps may come from others (a shared `expected/`), and libhdf5 can crash on a
        // malformed file: the command line reads it in a child process first (`IsolatedRead`).
        do throws(ResultsFileError) { try IsolatedRead.check(path, kind: IsolatedRead.evalWarpsKind) } catch {
            guard case .damaged(_, let problem) = error else { throw .unreadable(file: path, underlying: "\(error)") }
            throw .unreadable(file: path, underlying: problem)
        }
        let file: HDF5File
        do { file = try HDF5File.open(path) } catch { throw .unreadable(file: path, underlying: "\(error)") }
        defer { file.close() }
        let root = file.root

        func attribute(_ key: String) throws(EvalWarpsFileError) -> HDF5Value {
            do { return try root.attribute(key) } catch { throw .unreadable(file: path, underlying: "\(error)") }
        }
        func count(_ key: String) throws(EvalWarpsFileError) -> Int {
            guard let v = try attribute(key).intValue, v >= 0, v <= 1 << 24 else {
                throw .attribute(file: path, name: key, problem: "is not an integer in 0…2^24")
            }
            return Int(v)
        }
        guard let set = try attribute("set").stringValue else {
            throw .attribute(file: path, name: "set", problem: "is not a string")
        }
        let itemsInSet = try count("num_items_in_set")
        let drawn = try count("num_items_drawn")
        guard drawn == 2 * (itemsInSet / 2) else {
            throw .attribute(file: path, name: "num_items_drawn",
                             problem: "is \(drawn), expected 2·⌊num_items_in_set / 2⌋ = \(2 * (itemsInSet / 2))")
        }

        let values: [Float]
        do {
            let dataset = try root.dataset("weights")
            let expected = [drawn, 2, TPSWeights.rowCount, 2]
            guard dataset.shape == expected else {
                throw EvalWarpsFileError.shape(file: path, dataset: "weights", expected: "\(expected)", got: dataset.shape)
            }
            values = try dataset.readFloat32()
        } catch let error as EvalWarpsFileError {
            throw error
        } catch {
            throw .unreadable(file: path, underlying: "\(error)")
        }
        let per = TPSWeights.rowCount * 2
        var weights: [(first: TPSWeights, second: TPSWeights)] = []
        weights.reserveCapacity(drawn)
        for item in 0..<drawn {
            var pair: [TPSWeights] = []
            for warp in 0..<2 {
                let start = (2 * item + warp) * per
                let slice = Array(values[start ..< start + per])
                guard slice.allSatisfy(\.isFinite) else { throw .nonFinite(file: path, item: item, warp: warp) }
                do { pair.append(try TPSWeights(values: slice)) } catch {
                    throw .shape(file: path, dataset: "weights", expected: "103 × 2 per warp", got: [slice.count])
                }
            }
            weights.append((pair[0], pair[1]))
        }

        var names: [String]?
        if root.contains("item_names") {
            do {
                let dataset = try root.dataset("item_names")
                guard dataset.shape == [drawn] else {
                    throw EvalWarpsFileError.shape(file: path, dataset: "item_names", expected: "[\(drawn)]", got: dataset.shape)
                }
                names = try dataset.readStrings()
            } catch let error as EvalWarpsFileError {
                throw error
            } catch {
                throw .unreadable(file: path, underlying: "\(error)")
            }
        }
        return EvaluationWarps(name: name, set: set, itemsInSet: itemsInSet, weights: weights, itemNames: names)
    }
}
