/// What this binary is: `dvebench --version` prints `description`, and every results, expected and
/// trajectories file records the same string in its provenance (`lib.dvebench`).
///
/// `commit` is the git commit of the sources this binary was built from, written at build time by
/// the `BuildCommit` plugin (`Plugins/BuildCommit`): `<40 hex>`, `<40 hex>-dirty` when tracked files
/// differed from that commit, or `unknown` when the sources were not a git checkout or git was not
/// installed. It is not the commit of the repository a run reads its manifests from (provenance
/// records that one separately, as `git_commit`).
public enum BuildInfo {
    /// Bumped by hand on a release.
    public static let version = "0.1.0"
    public static let commit = buildCommit

    public static var configuration: String {
        #if DEBUG
        return "debug"
        #else
        return "release"
        #endif
    }

    /// `0.1.0 (git 8d8938e…, release)`.
    public static var description: String { "\(version) (git \(commit), \(configuration))" }
}
