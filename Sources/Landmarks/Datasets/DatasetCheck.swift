import Foundation
import ImageIO
import Synchronization
import Tensors

/// Something wrong in a dataset tree, by the path it is about.
public struct DatasetProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var problem: String

    public init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }

    public var description: String { "\(path): \(problem)" }
}

/// How many rows a tree's annotation files and splits must hold: the reference's numbers for a real
/// copy (datasets.md), or, for a tree `dvebench synth` wrote (it leaves `SYNTHFACES.txt` at the root),
/// the numbers of the same tree rebuilt in memory from its recorded layout, count, seed and identities.
public struct DatasetExpectations: Sendable {
    /// Where the numbers come from, for messages.
    public var source: String
    /// Annotation text files: data rows (non-blank lines after `headerLines`).
    var fileRows: [(file: String, headerLines: Int, rows: Int)]
    /// Items per split; nil: each loader's `referenceCount`.
    var splitCounts: [SynthSplit: Int]?
}

/// The cheap half of a dataset check (no image is opened): what `run` does before its first row.
public struct DatasetAnnotationCheck: Sendable {
    public var layout: SynthLayout
    public var root: String
    /// Nothing of the dataset is under `root`: a run skips the rows that need it.
    public var absent: Bool
    public var problems: [DatasetProblem]
    /// The splits that opened, for the image check.
    public var datasets: [any LandmarkDataset]
}

extension SynthLayout {
    /// Annotation rows per file whose count the reference states, with their header lines.
    private var referenceFileRows: [(file: String, headerLines: Int, rows: Int)] {
        switch self {
        case .celeba:
            [(CelebADataset.landmarksFile, 2, 202_599), (CelebADataset.partitionFile, 0, 202_599),
             (CelebADataset.maflTrainFile, 0, 19_000), (CelebADataset.maflTestFile, 0, 1_000)]
        case .aflwR: [(AFLWRecropDataset.imageList(train: true), 0, 10_122), (AFLWRecropDataset.imageList(train: false), 0, 2_991)]
        case .aflwM: [(AFLWMTFLDataset.testList, 0, 2_995)]
        case .threeHundredW: []
        }
    }

    /// What the tree at `root` must hold (see `DatasetExpectations`).
    public func expectations(root: String) throws(DatasetProblem) -> DatasetExpectations {
        let marker = DatasetFiles.join(root, SynthTreeFiles.provenanceFile)
        guard DatasetFiles.isFile(marker) else {
            return DatasetExpectations(source: "the reference", fileRows: referenceFileRows, splitCounts: nil)
        }
        var fields: [String: String] = [:]
        let text = (try? DatasetFiles.readBytes(marker)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = parts[1].trimmingCharacters(in: .whitespaces) }
        }
        guard fields["layout"] == rawValue, let count = fields["count"].flatMap({ Int($0) }),
              let seed = fields["seed"].flatMap({ UInt64($0) }), let identities = fields["identities"].flatMap({ Int($0) }) else {
            throw DatasetProblem(path: marker, problem: "not a \(rawValue) tree's SYNTHFACES.txt (layout, count, seed, identities)")
        }
        do {
            let tree = try SynthTree(layout: self, count: count, seed: seed, identities: identities)
            let files = try SynthTreeMemoryFiles(tree)
            var fileRows = referenceFileRows
            for i in fileRows.indices {
                let bytes = files.annotations[fileRows[i].file] ?? []
                fileRows[i].rows = AnnotationText(path: fileRows[i].file, bytes: bytes).lines().count - fileRows[i].headerLines
            }
            var splits: [SynthSplit: Int] = [:]
            for split in SynthSplit.allCases {
                splits[split] = try openDataset(root: files.root, split: split, preprocessing: .smallNet,
                                                jpegWarnings: .tolerateRecoverable, files: files).count
            }
            return DatasetExpectations(source: "SYNTHFACES.txt (count \(count), seed \(seed))", fileRows: fileRows, splitCounts: splits)
        } catch {
            throw DatasetProblem(path: marker, problem: "cannot rebuild the tree it describes: \(error)")
        }
    }

    /// Checks the tree at `root` for `splits` without opening an image: the layout's files are there,
    /// the annotation files hold the expected number of rows, and each split opens with the expected
    /// number of items.
    public func checkAnnotations(root: String, splits: [SynthSplit]) -> DatasetAnnotationCheck {
        var check = DatasetAnnotationCheck(layout: self, root: root, absent: false, problems: [], datasets: [])
        if !DatasetFiles.isDirectory(root) {
            check.absent = true
            check.problems = [DatasetProblem(path: root, problem: "no \(rawValue) dataset here (the folder does not exist)")]
            return check
        }
        let expected: DatasetExpectations
        do throws(DatasetProblem) { expected = try expectations(root: root) } catch {
            check.problems.append(error)
            return check
        }
        var missingEverything = true
        for split in splits {
            do throws(DatasetError) {
                let dataset = try openDataset(root: root, split: split, preprocessing: .smallNet)
                missingEverything = false
                check.datasets.append(dataset)
                if let want = expected.splitCounts.map({ $0[split] }) ?? dataset.referenceCount, dataset.count != want {
                    check.problems.append(DatasetProblem(path: root, problem: "\(dataset.name) has \(dataset.count) items, "
                                                         + "\(expected.source) says \(want)"))
                }
            } catch {
                if case .missingFiles(_, _, let missing, let layout) = error {
                    if missing.count < layout.count { missingEverything = false }
                    check.problems += missing.map { DatasetProblem(path: DatasetFiles.join(root, Self.entryPath($0)), problem: "missing") }
                } else {
                    missingEverything = false
                    check.problems.append(Self.problem(error, root: root))
                }
            }
        }
        check.absent = missingEverything && !splits.isEmpty
        for entry in expected.fileRows {
            let path = DatasetFiles.join(root, entry.file)
            guard DatasetFiles.isFile(path), let bytes = try? DatasetFiles.readBytes(path) else { continue }
            let rows = AnnotationText(path: path, bytes: bytes).lines().count - entry.headerLines
            if rows != entry.rows {
                check.problems.append(DatasetProblem(path: path, problem: "\(rows) rows, \(expected.source) says \(entry.rows)"))
            }
        }
        // A missing file can be listed once per split that needs it.
        var seen = Set<String>()
        check.problems = check.problems.filter { seen.insert($0.description).inserted }
        return check
    }

    /// `DatasetLayout.describe` gives `path  (note)`; the path alone.
    private static func entryPath(_ described: String) -> String {
        described.components(separatedBy: "  (").first ?? described
    }

    static func problem(_ error: DatasetError, root: String) -> DatasetProblem {
        switch error {
        case .unreadableFile(let path, let reason): DatasetProblem(path: path, problem: reason)
        case .malformedLine(let path, let line, let reason): DatasetProblem(path: "\(path):\(line)", problem: reason)
        case .inconsistentAnnotations(let path, let reason): DatasetProblem(path: path, problem: reason)
        case .matFile(let path, let reason): DatasetProblem(path: path, problem: reason)
        case .image(_, _, let underlying): DatasetProblem(path: underlying.path, problem: "\(underlying)")
        case .preprocessing(let path, let reason): DatasetProblem(path: path, problem: reason)
        default: DatasetProblem(path: root, problem: "\(error)")
        }
    }
}

/// The expensive half: every item of the given splits read, decoded and preprocessed exactly as a
/// run reads it, in parallel.
public enum DatasetImageCheck {
    /// Returns the items checked and the problems in split and item order. `progress` gets (done,
    /// total) from worker threads.
    public static func run(_ datasets: [any LandmarkDataset], threads: Int,
                           progress: @escaping @Sendable (Int, Int) -> Void) -> (checked: Int, problems: [DatasetProblem]) {
        let items = datasets.enumerated().flatMap { d in (0..<d.element.count).map { (d.offset, $0) } }
        let found = Mutex<[(Int, DatasetProblem)]>([])
        let done = Mutex(0)
        ParallelWork.chunks(total: items.count, workers: max(1, threads)) { _, range in
            for position in range {
                let (d, index) = items[position]
                do throws(DatasetError) { _ = try datasets[d].preprocessedImage(at: index) } catch {
                    found.withLock { $0.append((position, SynthLayout.problem(error, root: datasets[d].root))) }
                }
                let n = done.withLock { n -> Int in n += 1; return n }
                if n % 64 == 0 || n == items.count { progress(n, items.count) }
            }
        }
        return (items.count, found.withLock { $0 }.sorted { $0.0 < $1.0 }.map(\.1))
    }
}
