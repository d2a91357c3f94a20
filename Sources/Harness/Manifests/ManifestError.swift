import Foundation

/// A field inside a manifest, as a path from the document root: `model.checkpoint.url`,
/// `metrics[1].tolerance.absolute`. Used to name the field in errors and to find its line.
public struct ManifestFieldPath: Sendable, Hashable, CustomStringConvertible {
    public enum Component: Sendable, Hashable {
        case key(String)
        case index(Int)
    }

    public var components: [Component]

    public init(_ components: [Component] = []) { self.components = components }

    /// `"model.checkpoint.url"`; `[1]` and `.tolerance` segments as written in YAML (snake_case keys).
    public init(dotted: String) {
        var parts: [Component] = []
        for segment in dotted.split(separator: ".") {
            var name = Substring(segment)
            var indices: [Int] = []
            while name.hasSuffix("]"), let open = name.lastIndex(of: "[") {
                if let index = Int(name[name.index(after: open)..<name.index(before: name.endIndex)]) { indices.insert(index, at: 0) }
                name = name[..<open]
            }
            if !name.isEmpty { parts.append(.key(String(name))) }
            parts += indices.map(Component.index)
        }
        components = parts
    }

    public func appending(_ key: String) -> ManifestFieldPath { ManifestFieldPath(components + [.key(key)]) }
    public func appending(index: Int) -> ManifestFieldPath { ManifestFieldPath(components + [.index(index)]) }

    public var description: String {
        guard !components.isEmpty else { return "(document)" }
        var text = ""
        for component in components {
            switch component {
            case .key(let key): text += text.isEmpty ? key : ".\(key)"
            case .index(let index): text += "[\(index)]"
            }
        }
        return text
    }
}

/// One problem in one manifest file: where it is (file, 1-based line, field) and what is wrong.
public struct ManifestIssue: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The file could not be read, or a selected path does not exist.
        case unreadable
        /// Not valid YAML (or a YAML mapping with a duplicated key).
        case syntax
        /// A key the schema does not have (a typo must not be silently ignored).
        case unknownKey
        /// A required key is absent (or null).
        case missingField
        /// A value of the wrong YAML type (text where a number is needed, a list where a mapping is).
        case wrongType
        /// A value of the right type that breaks a rule: not one of the allowed words, not positive,
        /// not finite, inconsistent with another field, or a file it names does not exist.
        case invalidValue
        /// The same `id` in two manifests of one set.
        case duplicateID
    }

    public var file: String
    /// 1-based line of the field (or of the nearest enclosing key that exists); nil only when the
    /// file could not be read at all.
    public var line: Int?
    public var field: ManifestFieldPath
    public var kind: Kind
    public var message: String

    public init(file: String, line: Int?, field: ManifestFieldPath, kind: Kind, message: String) {
        self.file = file
        self.line = line
        self.field = field
        self.kind = kind
        self.message = message
    }

    /// `FILE:LINE: FIELD: MESSAGE` (the field is left out for problems of the whole file).
    public var description: String {
        let location = "\(file)\(line.map { ":\($0)" } ?? "")"
        return field.components.isEmpty ? "\(location): \(message)" : "\(location): \(field): \(message)"
    }
}

/// Why manifests could not be loaded: every problem found, each naming file, line and field. A
/// single file stops at its first structural problem (syntax, unknown key, type) but reports every
/// rule it breaks after that; a set reports every file's problems, then duplicate ids.
public struct ManifestError: Error, Sendable, Equatable, CustomStringConvertible {
    public var issues: [ManifestIssue]

    public init(_ issues: [ManifestIssue]) { self.issues = issues }
    public init(_ issue: ManifestIssue) { self.issues = [issue] }

    /// The first problem (the only one for structural errors).
    public var first: ManifestIssue? { issues.first }

    public var description: String {
        switch issues.count {
        case 0: "manifest error"
        case 1: issues[0].description
        default: "\(issues.count) manifest problems:\n" + issues.map { "  \($0)" }.joined(separator: "\n")
        }
    }
}
