import Foundation

/// Where and how a results file was produced. Written as attributes of the results file's root.
public struct Provenance: Sendable, Equatable, Codable {
    public var gitCommit: String
    public var gitDirty: Bool
    public var swiftVersion: String
    /// Library name → version (`hdf5`, `openblas`, `libjpeg-turbo`, `libpng`, `dvebench`).
    public var libraries: [String: String]
    public var cpu: String
    public var blasCore: String
    public var threads: Int
    public var hostname: String
    /// ISO 8601, UTC.
    public var startedAt: String
    /// The command line that produced the file.
    public var command: String

    public init(gitCommit: String, gitDirty: Bool, swiftVersion: String, libraries: [String: String], cpu: String,
                blasCore: String, threads: Int, hostname: String, startedAt: String, command: String) {
        self.gitCommit = gitCommit
        self.gitDirty = gitDirty
        self.swiftVersion = swiftVersion
        self.libraries = libraries
        self.cpu = cpu
        self.blasCore = blasCore
        self.threads = threads
        self.hostname = hostname
        self.startedAt = startedAt
        self.command = command
    }
}
