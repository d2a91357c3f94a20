import Foundation
import HDF5
import ImageIO

extension Provenance {
    /// The provenance of a run starting now in this process.
    ///
    /// Never fails: a fact that cannot be found is recorded as "unknown" (for the git state, also
    /// when `repository` is not a git checkout or git is not installed; `gitDirty` is then false).
    ///
    /// - `gitCommit`, `gitDirty`: of the checkout at `repository` (default: the current directory,
    ///   where `make reproduce` runs). Dirty means tracked files differ from HEAD; untracked files
    ///   (results, downloaded data) do not count.
    /// - `swiftVersion`: the compiler that built this binary, fixed at compile time (a release
    ///   binary has no toolchain to ask at run time): "6.3" means ≥ 6.3 and < 6.4.
    /// - `libraries`: `hdf5`, `libpng` as the loaded libraries report them; `openblas` (version)
    ///   and `openblas-config` from `openblas_get_config`; `libjpeg-turbo` from its headers;
    ///   `dvebench` is `BuildInfo.description`: version, the commit the binary was built from and
    ///   the build configuration, the string `dvebench --version` prints.
    /// - `cpu`: `model name` from /proc/cpuinfo and the logical CPU count.
    public static func current(command: String, threads: Int, repository: URL? = nil, now: Date = Date()) -> Provenance {
        let directory = repository ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let commit = Git.run(["rev-parse", "HEAD"], in: directory)
        let status = commit == nil ? nil : Git.run(["status", "--porcelain", "--untracked-files=no"], in: directory)
        var libraries = ImageLibraries.versions
        libraries["hdf5"] = HDF5Library.version
        let blas = Runtime.blasConfiguration
        libraries["openblas"] = openBLASVersion(blas) ?? "unknown"
        libraries["openblas-config"] = blas
        libraries["dvebench"] = BuildInfo.description
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return Provenance(
            gitCommit: commit ?? "unknown", gitDirty: !(status ?? "").isEmpty, swiftVersion: compilerVersion,
            libraries: libraries, cpu: cpuModel(), blasCore: Runtime.blasCore, threads: threads,
            hostname: hostname(), startedAt: formatter.string(from: now), command: command)
    }

    /// `openblas_get_config()` starts "OpenBLAS 0.3.21 DYNAMIC_ARCH …".
    static func openBLASVersion(_ configuration: String) -> String? {
        let words = configuration.split(separator: " ")
        guard words.count >= 2, words[0] == "OpenBLAS" else { return nil }
        return String(words[1])
    }

    static var compilerVersion: String {
        #if compiler(>=7.0)
        return ">=7.0"
        #elseif compiler(>=6.5)
        return "6.5"
        #elseif compiler(>=6.4)
        return "6.4"
        #elseif compiler(>=6.3)
        return "6.3"
        #elseif compiler(>=6.2)
        return "6.2"
        #elseif compiler(>=6.1)
        return "6.1"
        #else
        return "6.0"
        #endif
    }

    static func cpuModel(cpuinfo path: String = "/proc/cpuinfo") -> String {
        let count = ProcessInfo.processInfo.activeProcessorCount
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return "unknown (\(count) CPUs)" }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            if let colon = line.firstIndex(of: ":") {
                let model = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                return "\(model) (\(count) CPUs)"
            }
        }
        return "unknown (\(count) CPUs)"
    }

    /// `gethostname` directly: Foundation's `hostName` may wait on a DNS lookup.
    static func hostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown" }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Asks git about a checkout without ever failing the run.
enum Git {
    /// git's trimmed standard output, or nil when git is missing, the directory is not a checkout,
    /// or git fails for any other reason (e.g. "dubious ownership").
    static func run(_ arguments: [String], in directory: URL) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", directory.path] + arguments
        var environment = ProcessInfo.processInfo.environment
        // A status probe must not take the index lock while a developer's git runs alongside.
        environment["GIT_OPTIONAL_LOCKS"] = "0"
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        // Read before waiting: a full pipe would otherwise block git and deadlock us.
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
