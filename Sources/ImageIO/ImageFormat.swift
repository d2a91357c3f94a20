/// The two container formats this module reads and writes.
public enum ImageFormat: String, Sendable, Equatable, Hashable, CaseIterable, CustomStringConvertible {
    case jpeg = "JPEG"
    case png = "PNG"

    /// Sniffs the format from the leading magic bytes, ignoring any file name.
    ///
    /// - JPEG: `FF D8 FF` (SOI marker followed by the next marker's prefix).
    /// - PNG: the full 8-byte signature `89 50 4E 47 0D 0A 1A 0A`.
    ///
    /// Returns `nil` for anything else, including empty or too-short input.
    public static func detect<Bytes: Collection>(_ bytes: Bytes) -> ImageFormat?
    where Bytes.Element == UInt8 {
        if bytes.starts(with: jpegMagic) { return .jpeg }
        if bytes.starts(with: pngMagic) { return .png }
        return nil
    }

    /// The format implied by a path's extension: `.jpg`/`.jpeg` → JPEG,
    /// `.png` → PNG, case-insensitively; `nil` for anything else.
    public static func fromPathExtension(_ path: String) -> ImageFormat? {
        let name = path.split(separator: "/", omittingEmptySubsequences: false).last ?? ""
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return nil }
        switch name[name.index(after: dot)...].lowercased() {
        case "jpg", "jpeg": return .jpeg
        case "png": return .png
        default: return nil
        }
    }

    public var description: String { rawValue }

    static let jpegMagic: [UInt8] = [0xFF, 0xD8, 0xFF]
    static let pngMagic: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
}
