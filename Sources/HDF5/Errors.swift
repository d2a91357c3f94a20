/// Where in which file something went wrong.
///
/// Every error names both the file and the object inside it, because the
/// golden files hold hundreds of similarly named tensors and "not found"
/// without a path is useless when a comparison fails in CI.
public struct HDF5Location: Sendable, Equatable, CustomStringConvertible {
    /// Path of the file on disk (the final path for files being written).
    public var file: String
    /// Absolute object path inside the file, "/" for the root group.
    public var object: String
    /// Attribute name, when the problem is with an attribute of `object`.
    public var attribute: String?

    public init(file: String, object: String, attribute: String? = nil) {
        self.file = file
        self.object = object
        self.attribute = attribute
    }

    public var description: String {
        if let attribute {
            return "attribute '\(attribute)' of '\(object)' in \(file)"
        }
        return "'\(object)' in \(file)"
    }
}

/// The kind of object a path resolves to; used to say what was found when
/// the caller expected something else.
public enum HDF5ObjectKind: Sendable, Equatable, CustomStringConvertible {
    case group, dataset, namedDatatype, other

    public var description: String {
        switch self {
        case .group: "group"
        case .dataset: "dataset"
        case .namedDatatype: "named datatype"
        case .other: "other object"
        }
    }
}

/// libhdf5's own account of a failure: the innermost frame (the root cause,
/// e.g. "truncated file: eof = ...") first, the public API call last.
///
/// Kept as structured frames so tests can look for a function name, and
/// rendered into the error text so a log line alone explains the failure.
public struct HDF5ErrorStack: Sendable, Equatable, CustomStringConvertible {
    public struct Frame: Sendable, Equatable {
        /// The HDF5 function that pushed the frame, e.g. "H5F_open".
        public var function: String
        /// The frame's own text, e.g. "truncated file: eof = 1000, ...".
        public var description: String
        /// HDF5's short text for the minor error number, e.g. "file signature not found".
        public var message: String
    }

    public var frames: [Frame]

    public init(frames: [Frame] = []) { self.frames = frames }

    public var isEmpty: Bool { frames.isEmpty }

    /// The operating system's reason, when a frame carries one (`error message = 'File too large'`):
    /// what a full disk or a file-size limit looks like from inside the library.
    public var systemError: String? {
        for frame in frames {
            guard let start = frame.description.range(of: "error message = '") else { continue }
            let rest = frame.description[start.upperBound...]
            if let end = rest.firstIndex(of: "'") { return String(rest[..<end]) }
        }
        return nil
    }

    public var description: String {
        frames.enumerated().map { index, frame in
            var line = "#\(index) \(frame.function): \(frame.description)"
            if !frame.message.isEmpty { line += " (\(frame.message))" }
            return line
        }.joined(separator: "\n")
    }
}

/// Why a file could not be opened or created.
public enum HDF5OpenFailure: Sendable, Equatable, CustomStringConvertible {
    /// Nothing exists at the path.
    case missing
    /// The path exists but is not a regular file (e.g. a directory).
    case notARegularFile
    /// The file exists but this process may not read it.
    case notReadable
    /// The file has no HDF5 signature: it is some other kind of file.
    case notHDF5
    /// The file starts like HDF5 but libhdf5 refused it, typically because it
    /// is truncated (an interrupted download or copy) or corrupted.
    case damaged
    /// The file (or its temporary sibling) could not be created.
    case cannotCreate

    public var description: String {
        switch self {
        case .missing: "no such file"
        case .notARegularFile: "not a regular file"
        case .notReadable: "permission denied"
        case .notHDF5: "not an HDF5 file (no HDF5 signature)"
        case .damaged: "HDF5 file is truncated or corrupted"
        case .cannotCreate: "cannot create file"
        }
    }
}

/// Everything the HDF5 module throws.
///
/// The module never traps on file contents: a malformed or unexpected file is
/// always reported through one of these cases, with enough context (file,
/// object path, what was found versus asked, HDF5's own stack) to act on.
public enum HDF5Error: Error, Sendable, Equatable, CustomStringConvertible {
    case cannotOpen(file: String, reason: HDF5OpenFailure, stack: HDF5ErrorStack)
    case objectNotFound(HDF5Location)
    case attributeNotFound(HDF5Location)
    case wrongKind(HDF5Location, expected: HDF5ObjectKind, found: HDF5ObjectKind)
    /// The stored element type cannot be read (or read exactly) as `requested`.
    case typeMismatch(HDF5Location, found: HDF5ElementType, requested: String)
    /// The element type converts in general, but these values do not fit exactly.
    case valueOutOfRange(HDF5Location, detail: String)
    case shapeMismatch(HDF5Location, expected: [Int], found: [Int])
    /// Writing would replace an existing object or clobber a name; writes never overwrite datasets.
    case alreadyExists(HDF5Location)
    /// The caller passed something this API cannot express (bad name, value count ≠ shape, ...).
    case invalidArgument(HDF5Location, detail: String)
    case readFailed(HDF5Location, stack: HDF5ErrorStack)
    case writeFailed(HDF5Location, detail: String, stack: HDF5ErrorStack)
    /// The file was already closed (or committed) when an object of it was used.
    case fileClosed(file: String)
    /// A write was attempted on a file opened with `HDF5File.open`.
    case readOnly(file: String)

    /// The file path every case carries.
    public var file: String {
        switch self {
        case .cannotOpen(let file, _, _), .fileClosed(let file), .readOnly(let file):
            return file
        case .objectNotFound(let l), .attributeNotFound(let l), .wrongKind(let l, _, _),
             .typeMismatch(let l, _, _), .valueOutOfRange(let l, _), .shapeMismatch(let l, _, _),
             .alreadyExists(let l), .invalidArgument(let l, _), .readFailed(let l, _),
             .writeFailed(let l, _, _):
            return l.file
        }
    }

    /// The object inside the file, when the error concerns one.
    public var location: HDF5Location? {
        switch self {
        case .cannotOpen, .fileClosed, .readOnly:
            return nil
        case .objectNotFound(let l), .attributeNotFound(let l), .wrongKind(let l, _, _),
             .typeMismatch(let l, _, _), .valueOutOfRange(let l, _), .shapeMismatch(let l, _, _),
             .alreadyExists(let l), .invalidArgument(let l, _), .readFailed(let l, _),
             .writeFailed(let l, _, _):
            return l
        }
    }

    /// HDF5's captured error stack; empty when the failure was detected in Swift.
    public var stack: HDF5ErrorStack {
        switch self {
        case .cannotOpen(_, _, let s), .readFailed(_, let s), .writeFailed(_, _, let s):
            return s
        default:
            return HDF5ErrorStack()
        }
    }

    public var description: String {
        let text: String
        switch self {
        case .cannotOpen(let file, let reason, _):
            text = "cannot open HDF5 file \(file): \(reason)"
        case .objectNotFound(let l):
            text = "object \(l) not found"
        case .attributeNotFound(let l):
            text = "\(l) not found"
        case .wrongKind(let l, let expected, let found):
            text = "\(l) is a \(found), expected a \(expected)"
        case .typeMismatch(let l, let found, let requested):
            text = "\(l) has element type \(found), cannot read it as \(requested)"
        case .valueOutOfRange(let l, let detail):
            text = "\(l): \(detail)"
        case .shapeMismatch(let l, let expected, let found):
            text = "\(l) has shape \(found), expected \(expected)"
        case .alreadyExists(let l):
            text = "\(l) already exists"
        case .invalidArgument(let l, let detail):
            text = "invalid request for \(l): \(detail)"
        case .readFailed(let l, _):
            text = "reading \(l) failed"
        case .writeFailed(let l, let detail, _):
            text = "writing \(l) failed: \(detail)"
        case .fileClosed(let file):
            text = "HDF5 file \(file) is already closed"
        case .readOnly(let file):
            text = "HDF5 file \(file) was opened read-only"
        }
        let stack = self.stack
        if stack.isEmpty { return text }
        return text + "\nHDF5 error stack:\n" + stack.description
    }
}
