import Foundation

/// The golden set's `MANIFEST.json`: size and SHA-256 of every file. Checking it first tells a damaged
/// or edited fixture apart from a numerical regression.
enum GoldenManifest {
    static let fileName = "MANIFEST.json"

    struct Contents: Decodable {
        struct Entry: Decodable { var bytes: Int; var sha256: String }
        var files: [String: Entry]
    }

    static func verify(directory: URL) -> [GoldenCheck] {
        let url = directory.appendingPathComponent(fileName)
        let contents: Contents
        do {
            contents = try JSONDecoder().decode(Contents.self, from: Data(contentsOf: url))
        } catch {
            return [.failure(file: fileName, name: "(parse)", error)]
        }
        return contents.files.keys.sorted().map { name in
            let entry = contents.files[name]!
            let path = directory.appendingPathComponent(name).path
            do {
                let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? -1
                let digest = try SHA256.hexDigest(ofFile: path)
                let ok = size == entry.bytes && digest == entry.sha256
                return GoldenCheck(file: fileName, name: "\(name) bytes+sha256", outcome: ok ? .pass : .fail,
                                   maxAbsError: ok ? 0 : .nan,
                                   detail: ok ? nil : "expected \(entry.bytes) bytes \(entry.sha256), found \(size) bytes \(digest)")
            } catch {
                return .failure(file: fileName, name: "\(name) bytes+sha256", error)
            }
        }
    }
}
