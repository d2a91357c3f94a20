import Foundation
import HDF5
import Tensors

/// Recomputes every stored output of a directory laid out like the reference golden set and compares
/// it with the tolerances of the set's README.
///
/// Each known file has a verifier that reads the inputs, weights and sizes from the file itself, so a
/// set regenerated with other sizes or seeds verifies the same way. Files this build cannot recompute
/// yet are reported as not covered, which never counts as passing.
public enum GoldenVerifier {
    /// A verifier for one golden file: given the opened file and its name relative to the directory.
    typealias FileVerifier = @Sendable (_ file: HDF5File, _ name: String) -> [GoldenCheck]

    static let verifiers: [String: FileVerifier] = [
        "hourglass.h5": HourglassGolden.verify,
        "keypoints.h5": KeypointsGolden.verify,
        "losses.h5": LossesGolden.verify,
        "matching.h5": MatchingGolden.verify,
        "optim.h5": OptimGolden.verify,
        "smallnet.h5": SmallNetGolden.verify,
        "tps.h5": TPSGolden.verify,
        // One line per golden file; keep this list sorted.
    ]

    /// A verifier for a folder of files that are not HDF5 (the `.pth` checkpoints): given the directory
    /// and the folder's files (relative names), it reports every one of them.
    typealias FolderVerifier = @Sendable (_ directory: URL, _ files: [String]) -> [GoldenCheck]

    static let folderVerifiers: [String: FolderVerifier] = [
        CheckpointsGolden.folder: CheckpointsGolden.verify,
    ]

    /// Files that document or index the set rather than hold checkable data.
    static let documentation: Set<String> = ["README.md"]

    /// Verifies every file under `directory`. `progress` is told the name of each file as it starts.
    public static func verify(directory: URL, progress: ((String) -> Void)? = nil) -> GoldenReport {
        var report = GoldenReport(directory: directory.path, checks: [])
        let files = listFiles(directory)
        if files.isEmpty {
            report.checks.append(GoldenCheck(file: ".", name: "directory", outcome: .fail,
                                             detail: "no golden files found in \(directory.path)"))
            return report
        }
        if files.contains(GoldenManifest.fileName) {
            report.checks += GoldenManifest.verify(directory: directory)
        }
        var claimed: Set<String> = []
        for (folder, verifier) in folderVerifiers.sorted(by: { $0.key < $1.key }) {
            let members = files.filter { $0.hasPrefix(folder) }
            guard !members.isEmpty else { continue }
            progress?(folder)
            report.checks += verifier(directory, members)
            claimed.formUnion(members)
        }
        for name in files where name != GoldenManifest.fileName && !documentation.contains(name) && !claimed.contains(name) {
            progress?(name)
            guard let verifier = verifiers[name] else {
                report.checks.append(GoldenCheck(file: name, name: "(whole file)", outcome: .notCovered,
                                                 tolerance: "-", detail: "this build does not recompute \(name)"))
                continue
            }
            do {
                let file = try HDF5File.open(directory.appendingPathComponent(name).path)
                defer { file.close() }
                report.checks += verifier(file, name)
            } catch {
                report.checks.append(.failure(file: name, name: "(open)", error))
            }
        }
        return report
    }

    /// Regular files below `directory`, as paths relative to it, sorted.
    static func listFiles(_ directory: URL) -> [String] {
        guard let walker = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.isRegularFileKey])
        else { return [] }
        let base = directory.standardizedFileURL.path
        var names: [String] = []
        for case let url as URL in walker {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            var relative = url.standardizedFileURL.path
            if relative.hasPrefix(base) { relative.removeFirst(base.count) }
            while relative.hasPrefix("/") { relative.removeFirst() }
            names.append(relative)
        }
        return names.sorted()
    }
}
