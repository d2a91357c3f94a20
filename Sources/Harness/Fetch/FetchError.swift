/// Why a checkpoint could not be fetched or verified. Every case names the file (and the URL where
/// there is one), because a fetch of the whole selection touches over a hundred of them.
public enum FetchError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The server answered with an HTTP error status (404, 403, 500, …).
    case httpStatus(code: Int, url: String, file: String)
    /// The connection failed or ended early, again after every retry; what arrived is kept in
    /// `partial`, and the next fetch continues from there.
    case transfer(url: String, file: String, reason: String, partial: String, bytes: Int64)
    /// The server's answer cannot be used (a range other than the one asked for, no HTTP at all).
    case unexpectedResponse(url: String, file: String, reason: String)
    /// The file's SHA-256 or size differs from what `checkpoints.lock` recorded at its first download.
    case mismatch(path: String, lockFile: String, expected: CheckpointLockEntry, actualSHA256: String, actualSize: Int64)
    /// A line of `checkpoints.lock` that is not `<sha256> <size> <path>`.
    case malformedLock(path: String, line: Int, reason: String)
    case fileSystem(path: String, reason: String)
    /// `--mirror` cannot stand in for a published URL.
    case mirror(url: String, reason: String)
    /// Two rows name the same checkpoint file with different URLs.
    case conflictingURLs(file: String, first: String, second: String)

    public var description: String {
        switch self {
        case .httpStatus(let code, let url, let file):
            return "\(file): HTTP \(code) \(Self.reason(code)) from \(url)"
        case .transfer(let url, let file, let reason, let partial, let bytes):
            return "\(file): download from \(url) failed after \(bytes) bytes (\(reason)); they are kept in \(partial) "
                + "and the next `dvebench fetch` continues from there"
        case .unexpectedResponse(let url, let file, let reason):
            return "\(file): unexpected answer from \(url): \(reason)"
        case .mismatch(let path, let lockFile, let expected, let actualSHA256, let actualSize):
            return "\(path) does not match \(lockFile): expected SHA-256 \(expected.sha256) (\(expected.size) bytes), "
                + "got \(actualSHA256) (\(actualSize) bytes). The file was left as it is and nothing was downloaded "
                + "again; delete it to fetch it anew, or find out why it differs from the first download"
        case .malformedLock(let path, let line, let reason):
            return "\(path):\(line): \(reason) (expected `<sha256> <size> <checkpoint path>`)"
        case .fileSystem(let path, let reason):
            return "\(path): \(reason)"
        case .mirror(let url, let reason):
            return "--mirror \(url): \(reason)"
        case .conflictingURLs(let file, let first, let second):
            return "\(file) is published at two URLs in the selected manifests: \(first) and \(second)"
        }
    }

    static func reason(_ code: Int) -> String {
        switch code {
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 410: "Gone"
        case 416: "Range Not Satisfiable"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        default: ""
        }
    }
}
