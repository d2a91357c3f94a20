// A small HTTP/1.1 file server for the fetch tests, on 127.0.0.1 only: GET and HEAD of the files
// under --root, byte ranges (206 + Content-Range, 416 past the end), and the faults a download
// must survive: --ignore-range (200 with the whole body), --cut-after N (the connection is closed
// after N bytes of each body), --rate (bytes per second, so that a download is still running when
// a test acts on it). A missing file is a 404. Started by a test, stopped by the test with SIGTERM
// to its PID; the port it listens on is written to --port-file once it accepts connections.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

struct Options {
    var root = "."
    var portFile = ""
    var log: String?
    var ignoreRange = false
    var cutAfter: Int?
    var rate: Int?
}

func parseOptions() -> Options {
    var options = Options()
    var arguments = CommandLine.arguments.dropFirst().makeIterator()
    while let argument = arguments.next() {
        switch argument {
        case "--root": options.root = arguments.next() ?? "."
        case "--port-file": options.portFile = arguments.next() ?? ""
        case "--log": options.log = arguments.next()
        case "--ignore-range": options.ignoreRange = true
        case "--cut-after": options.cutAfter = arguments.next().flatMap { Int($0) }
        case "--rate": options.rate = arguments.next().flatMap { Int($0) }
        default:
            FileHandle.standardError.write(Data("dvebench-test-server: unknown argument \(argument)\n".utf8))
            exit(2)
        }
    }
    if options.portFile.isEmpty {
        FileHandle.standardError.write(Data("usage: dvebench-test-server --root DIR --port-file FILE [--log FILE] [--ignore-range] [--cut-after N] [--rate B/s]\n".utf8))
        exit(2)
    }
    return options
}

enum Server {
    static let options = parseOptions()
    static let logLock = NSLock()
}

func log(_ line: String) {
    let options = Server.options, logLock = Server.logLock
    guard let path = options.log else { return }
    logLock.lock()
    defer { logLock.unlock() }
    let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
    guard fd >= 0 else { return }
    _ = (line + "\n").withCString { write(fd, $0, strlen($0)) }
    close(fd)
}

func sendAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
    var sent = 0
    while sent < bytes.count {
        let n = send(fd, bytes.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
        if n < 0 { if errno == EINTR { continue }; return false }
        sent += n
    }
    return true
}

func sendText(_ fd: Int32, _ text: String) -> Bool {
    Array(text.utf8).withUnsafeBytes { sendAll(fd, $0) }
}

/// Reads the request head (up to the blank line).
func readHead(_ fd: Int32) -> String? {
    var data = [UInt8]()
    var buffer = [UInt8](repeating: 0, count: 4096)
    while data.count < 65536 {
        let n = recv(fd, &buffer, buffer.count, 0)
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { return nil }
        data += buffer[0..<n]
        if let text = String(bytes: data, encoding: .utf8), text.contains("\r\n\r\n") { return text }
    }
    return nil
}

func handle(_ fd: Int32) {
    let options = Server.options
    defer { close(fd) }
    guard let head = readHead(fd) else { return }
    let lines = head.components(separatedBy: "\r\n")
    let requestLine = lines[0].split(separator: " ")
    guard requestLine.count >= 2 else { return }
    let method = String(requestLine[0])
    var target = String(requestLine[1])
    if let query = target.firstIndex(of: "?") { target = String(target[..<query]) }
    target = target.removingPercentEncoding ?? target
    var range: String?
    for line in lines.dropFirst() {
        let parts = line.split(separator: ":", maxSplits: 1)
        if parts.count == 2, parts[0].lowercased() == "range" { range = parts[1].trimmingCharacters(in: .whitespaces) }
    }
    let path = (options.root as NSString).appendingPathComponent(target)
    var isDirectory: ObjCBool = false
    guard !target.contains(".."), FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
          let body = FileManager.default.contents(atPath: path) else {
        log("\(method) \(target) range=\(range ?? "-") status=404")
        _ = sendText(fd, "HTTP/1.1 404 Not Found\r\nContent-Length: 10\r\nConnection: close\r\n\r\n" + (method == "HEAD" ? "" : "not found\n"))
        return
    }
    let size = body.count
    var status = "200 OK", first = 0
    var headers = "Content-Type: application/octet-stream\r\nConnection: close\r\n"
    if !options.ignoreRange { headers += "Accept-Ranges: bytes\r\n" }
    if let range, !options.ignoreRange, range.hasPrefix("bytes="), let dash = range.firstIndex(of: "-"),
       let start = Int(range[range.index(range.startIndex, offsetBy: 6)..<dash]) {
        guard start < size else {
            log("\(method) \(target) range=\(range) status=416")
            _ = sendText(fd, "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */\(size)\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        }
        status = "206 Partial Content"
        first = start
        headers += "Content-Range: bytes \(start)-\(size - 1)/\(size)\r\n"
    }
    headers += "Content-Length: \(size - first)\r\n"
    guard sendText(fd, "HTTP/1.1 \(status)\r\n\(headers)\r\n") else { return }
    var sent = 0
    if method != "HEAD" {
        let limit = min(size - first, options.cutAfter ?? Int.max)
        let chunk = options.rate.map { max(1, $0 / 20) } ?? 65536
        body.withUnsafeBytes { all in
            while sent < limit {
                let n = min(chunk, limit - sent)
                guard sendAll(fd, UnsafeRawBufferPointer(rebasing: all[(first + sent)..<(first + sent + n)])) else { return }
                sent += n
                if options.rate != nil { usleep(50_000) }
            }
        }
    }
    log("\(method) \(target) range=\(range ?? "-") status=\(status.prefix(3)) sent=\(sent)")
    // An abrupt end (cut-after) must look like a broken connection, not a finished response.
    shutdown(fd, Int32(SHUT_RDWR))
}

func serve() -> Never {
    let options = Server.options
    // The test process may block or ignore SIGTERM, and a child inherits both; the test stops this
    // server with SIGTERM.
    var none = sigset_t()
    sigemptyset(&none)
    sigprocmask(SIG_SETMASK, &none, nil)
    signal(SIGTERM, SIG_DFL)
    signal(SIGPIPE, SIG_IGN)
    let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard listener >= 0 else { perror("socket"); exit(1) }
    var yes: Int32 = 1
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0, listen(listener, 64) == 0 else { perror("bind/listen"); exit(1) }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
    }
    let port = UInt16(bigEndian: address.sin_port)
    let temporary = options.portFile + ".tmp"
    try? "\(port)\n".write(toFile: temporary, atomically: false, encoding: .utf8)
    rename(temporary, options.portFile)

    while true {
        let connection = accept(listener, nil, nil)
        if connection < 0 { if errno == EINTR { continue }; perror("accept"); exit(1) }
        Thread.detachNewThread { handle(connection) }
    }
}

serve()
