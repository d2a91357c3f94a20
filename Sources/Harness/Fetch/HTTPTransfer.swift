import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization

/// HTTP through Foundation's `URLSession` (libcurl underneath on Linux, already linked by
/// FoundationNetworking, so no new dependency): a GET streamed into a file from a byte offset, and a
/// HEAD for the size. Redirects (http → https) are followed by `URLSession` itself.
enum HTTPTransfer {
    /// How a GET ended.
    enum Result: Equatable {
        /// The body arrived whole; the file now holds `bytes` bytes.
        case complete(bytes: Int64, restarted: Bool)
        /// The connection failed or ended early; the file holds the `bytes` that arrived.
        case interrupted(bytes: Int64, restarted: Bool, reason: String)
        /// A `Range` beyond the server's file (416): what the file holds cannot be continued.
        case rangeNotSatisfiable
        case httpStatus(Int)
        case unexpected(String)
    }

    /// Seconds without a byte before a connection counts as lost.
    static let idleTimeout: TimeInterval = 60

    static func session(delegate: (any URLSessionDelegate)?) -> URLSession {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = idleTimeout
        configuration.timeoutIntervalForResource = 7 * 24 * 3600
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        return URLSession(configuration: configuration, delegate: delegate, delegateQueue: queue)
    }

    static func request(_ url: URL, method: String = "GET") -> URLRequest {
        var request = URLRequest(url: url)
        request.httpMethod = method
        // A compressed body would make byte ranges refer to the compressed stream.
        request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
        return request
    }

    /// GETs `url` into the file at `path`, continuing after its first `offset` bytes with a `Range`
    /// request when `offset > 0`. A server that ignores the range (200 with the whole body) restarts
    /// the file from zero (`restarted`). `progress` gets the bytes in the file and the full size when
    /// the server says it, on a delegate thread.
    static func get(_ url: URL, into path: String, from offset: Int64,
                    progress: @escaping @Sendable (Int64, Int64?) -> Void) throws(FetchError) -> Result {
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .fileSystem(path: path, reason: "cannot open for writing: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard ftruncate(fd, off_t(offset)) == 0 else {
            throw .fileSystem(path: path, reason: "cannot truncate to \(offset) bytes: \(String(cString: strerror(errno)))")
        }
        let delegate = StreamingDelegate(descriptor: fd, path: path, offset: offset, progress: progress)
        let session = session(delegate: delegate)
        var request = request(url)
        if offset > 0 { request.setValue("bytes=\(offset)-", forHTTPHeaderField: "Range") }
        session.dataTask(with: request).resume()
        delegate.finished.wait()
        session.finishTasksAndInvalidate()
        let outcome = delegate.outcome()
        if case .complete = outcome, fsync(fd) != 0 {
            throw .fileSystem(path: path, reason: "cannot flush to disk: \(String(cString: strerror(errno)))")
        }
        if let failure = delegate.writeFailure { throw .fileSystem(path: path, reason: failure) }
        return outcome
    }

    /// The size the server announces for `url` (HEAD), or why there is none.
    static func size(of url: URL) -> (status: Int?, bytes: Int64?, failure: String?) {
        let answer = Mutex<(Int?, Int64?, String?)>((nil, nil, nil))
        let done = DispatchSemaphore(value: 0)
        let session = session(delegate: nil)
        session.dataTask(with: request(url, method: "HEAD")) { _, response, error in
            let http = response as? HTTPURLResponse
            let length = http.flatMap { HTTPTransfer.header("Content-Length", in: $0) }.flatMap { Int64($0) }
            answer.withLock { $0 = (http?.statusCode, length, error?.localizedDescription) }
            done.signal()
        }.resume()
        done.wait()
        session.finishTasksAndInvalidate()
        return answer.withLock { $0 }
    }

    static func header(_ name: String, in response: HTTPURLResponse) -> String? {
        for (key, value) in response.allHeaderFields {
            if let key = key as? String, key.caseInsensitiveCompare(name) == .orderedSame { return value as? String }
        }
        return nil
    }

    /// `Content-Range: bytes <first>-<last>/<total or *>`.
    static func contentRange(_ text: String) -> (first: Int64, total: Int64?)? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.lowercased().hasPrefix("bytes ") else { return nil }
        let spec = trimmed.dropFirst(6)
        let parts = spec.split(separator: "/", maxSplits: 1)
        guard parts.count == 2, let dash = parts[0].firstIndex(of: "-"), let first = Int64(parts[0][..<dash]) else { return nil }
        return (first, Int64(parts[1]))
    }
}

/// Receives a GET's body and writes it at the right offset. Only the session's serial delegate queue
/// touches the state until `finished` is signalled; the lock makes that visible to Swift's checker.
private final class StreamingDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    struct State {
        var inspected = false
        var position: Int64
        var total: Int64?
        var restarted = false
        var rejection: HTTPTransfer.Result?
        var transportError: String?
        var writeFailure: String?
    }

    let descriptor: Int32
    let path: String
    let requestedOffset: Int64
    let progress: @Sendable (Int64, Int64?) -> Void
    let finished = DispatchSemaphore(value: 0)
    private let state: Mutex<State>

    init(descriptor: Int32, path: String, offset: Int64, progress: @escaping @Sendable (Int64, Int64?) -> Void) {
        self.descriptor = descriptor
        self.path = path
        requestedOffset = offset
        self.progress = progress
        state = Mutex(State(position: offset))
    }

    var writeFailure: String? { state.withLock { $0.writeFailure } }

    /// Decides from the status and headers whether the body continues the file, restarts it, or is
    /// not a file at all (the task is then cancelled).
    private func inspect(_ response: URLResponse?, state s: inout State) {
        s.inspected = true
        guard let http = response as? HTTPURLResponse else { s.rejection = .unexpected("no HTTP response"); return }
        switch http.statusCode {
        case 206:
            guard let range = HTTPTransfer.header("Content-Range", in: http).flatMap(HTTPTransfer.contentRange) else {
                s.rejection = .unexpected("206 without a readable Content-Range"); return
            }
            guard range.first == requestedOffset else {
                s.rejection = .unexpected("asked for bytes from \(requestedOffset), got a range from \(range.first)"); return
            }
            s.total = range.total
        case 200:
            if requestedOffset > 0 {
                s.restarted = true
                s.position = 0
                if ftruncate(descriptor, 0) != 0 { s.writeFailure = "cannot truncate: \(String(cString: strerror(errno)))" }
            }
            s.total = http.expectedContentLength >= 0 ? http.expectedContentLength : nil
        case 416 where requestedOffset > 0:
            s.rejection = .rangeNotSatisfiable
        default:
            s.rejection = .httpStatus(http.statusCode)
        }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let update: (Int64, Int64?)? = state.withLock { s in
            if !s.inspected { inspect(dataTask.response, state: &s) }
            guard s.rejection == nil, s.writeFailure == nil else { return nil }
            let written = data.withUnsafeBytes { buffer -> Int in
                var done = 0
                while done < buffer.count {
                    let n = pwrite(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(s.position) + off_t(done))
                    if n < 0 { if errno == EINTR { continue }; return -1 }
                    done += n
                }
                return done
            }
            guard written == data.count else {
                s.writeFailure = "cannot write: \(String(cString: strerror(errno)))"
                return nil
            }
            s.position += Int64(written)
            return (s.position, s.total)
        }
        if let update { progress(update.0, update.1) } else { dataTask.cancel() }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        state.withLock { s in
            if !s.inspected, task.response != nil { inspect(task.response, state: &s) }
            if let error { s.transportError = error.localizedDescription }
        }
        finished.signal()
    }

    func outcome() -> HTTPTransfer.Result {
        state.withLock { s in
            if let rejection = s.rejection { return rejection }
            if let error = s.transportError {
                return .interrupted(bytes: s.position, restarted: s.restarted, reason: error)
            }
            if !s.inspected { return .unexpected("the server sent no response") }
            if let total = s.total, s.position != total {
                return .interrupted(bytes: s.position, restarted: s.restarted,
                                    reason: "the connection closed at byte \(s.position) of \(total)")
            }
            return .complete(bytes: s.position, restarted: s.restarted)
        }
    }
}
