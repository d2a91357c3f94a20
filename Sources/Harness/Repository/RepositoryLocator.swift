import Foundation

/// Finds the DVEBench repository root, the folder whose `manifests/` (the table rows) and
/// `expected/` (expected numbers, eval warps, shipped models) every row-running command reads.
///
/// Order, first match wins:
/// 1. `--repository DIR` when given (relative to the current folder); it must be a root, it is
///    never silently replaced by another one.
/// 2. The current folder and each of its parents, as git finds its root.
/// 3. `DVEBENCH_HOME` when set; like `--repository`, it must be a root.
/// 4. `../share/dvebench` next to the running binary, where `make install PREFIX=…` puts them.
///
/// A root is any folder holding both `manifests/` and `expected/` folders; `Package.swift` is not
/// needed, so an installed copy of those two folders is a root.
public struct RepositoryLocator: Sendable {
    public static let environmentVariable = "DVEBENCH_HOME"
    /// The folders a root must hold.
    public static let markers = ["manifests", "expected"]
    /// Relative to the folder of the binary: `PREFIX/bin/dvebench` reads `PREFIX/share/dvebench`.
    public static let installedRelativePath = "../share/dvebench"

    public var currentDirectory: URL
    public var environment: [String: String]
    /// The running binary, for the installed location (nil: not looked at).
    public var executable: URL?

    public init(currentDirectory: URL, environment: [String: String], executable: URL?) {
        self.currentDirectory = currentDirectory
        self.environment = environment
        self.executable = executable
    }

    /// The locator of this process.
    public static func forThisProcess(executable: String) -> RepositoryLocator {
        RepositoryLocator(currentDirectory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
                          environment: ProcessInfo.processInfo.environment,
                          executable: URL(fileURLWithPath: executable))
    }

    /// The root, absolute and standardised (symbolic links kept as given).
    public func locate(option: String?) throws(RepositoryNotFound) -> URL {
        try URL(fileURLWithPath: find(option: option).path)
    }

    private func find(option: String?) throws(RepositoryNotFound) -> URL {
        if let option {
            let folder = resolve(option)
            guard Self.isRoot(folder) else { throw RepositoryNotFound(tried: [.option(folder, missing: Self.missingMarkers(folder))]) }
            return folder
        }
        var tried: [RepositoryNotFound.Attempt] = []
        let start = currentDirectory.standardizedFileURL
        var folder = start
        while true {
            if Self.isRoot(folder) { return folder }
            let parent = folder.deletingLastPathComponent().standardizedFileURL
            if parent.path == folder.path { break }
            folder = parent
        }
        tried.append(.walkUp(from: start))
        if let home = environment[Self.environmentVariable], !home.isEmpty {
            let folder = resolve(home)
            guard Self.isRoot(folder) else {
                throw RepositoryNotFound(tried: tried + [.environment(folder, missing: Self.missingMarkers(folder))])
            }
            return folder
        }
        tried.append(.environmentUnset)
        if let executable {
            let installed = executable.resolvingSymlinksInPath().deletingLastPathComponent()
                .appendingPathComponent(Self.installedRelativePath).standardizedFileURL
            if Self.isRoot(installed) { return installed }
            tried.append(.installed(installed))
        }
        throw RepositoryNotFound(tried: tried)
    }

    public static func isRoot(_ folder: URL) -> Bool { missingMarkers(folder).isEmpty }

    static func missingMarkers(_ folder: URL) -> [String] {
        markers.filter { name in
            var isDirectory: ObjCBool = false
            let path = folder.appendingPathComponent(name).path
            return !(FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue)
        }
    }

    private func resolve(_ path: String) -> URL {
        (path.hasPrefix("/") ? URL(fileURLWithPath: path) : currentDirectory.appendingPathComponent(path)).standardizedFileURL
    }
}

/// No repository root: says what was looked for and everywhere it was looked.
public struct RepositoryNotFound: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Attempt: Sendable, Equatable {
        case option(URL, missing: [String])
        case walkUp(from: URL)
        case environment(URL, missing: [String])
        case environmentUnset
        case installed(URL)
    }

    public var tried: [Attempt]

    public var description: String {
        let markers = RepositoryLocator.markers.map { "\($0)/" }.joined(separator: " and ")
        var lines = ["no DVEBench repository (a folder holding \(markers)) found:"]
        for attempt in tried {
            switch attempt {
            case .option(let folder, let missing):
                lines.append("  --repository \(folder.path) has no \(missing.map { "\($0)/" }.joined(separator: " and "))")
            case .walkUp(let start):
                lines.append("  not in \(start.path) nor any folder above it")
            case .environment(let folder, let missing):
                lines.append("  \(RepositoryLocator.environmentVariable)=\(folder.path) has no \(missing.map { "\($0)/" }.joined(separator: " and "))")
            case .environmentUnset:
                lines.append("  \(RepositoryLocator.environmentVariable) is not set")
            case .installed(let folder):
                lines.append("  no installed copy at \(folder.path) (make install PREFIX=… puts one there)")
            }
        }
        lines.append("run from inside the repository, or give --repository DIR, or set \(RepositoryLocator.environmentVariable)=DIR")
        return lines.joined(separator: "\n")
    }
}
