import HDF5

/// Why a results file (`dvebench-results`) or an expected-numbers file (`dvebench-expected`) could
/// not be read or written. Every case names the file.
public enum ResultsFileError: Error, CustomStringConvertible, Sendable {
    /// The file is HDF5 but not of the kind wanted (another DVEBench file, or someone else's).
    case wrongKind(file: String, expected: String, found: String?)
    /// Written by a newer DVEBench whose layout this build does not know.
    case newerSchema(file: String, kind: String, found: Int, supported: Int)
    /// Of the right kind, but an object or attribute is missing or has the wrong type.
    case malformed(file: String, object: String, problem: String)
    /// A value that cannot be stored in the layout (an unusable row id or metric name).
    case unwritable(file: String, problem: String)
    /// Reading it failed outright: it crashed or hung the HDF5 library in the reader process
    /// (`IsolatedRead`), or its rows do not add up.
    case damaged(file: String, problem: String)
    case hdf5(HDF5Error)

    public var description: String {
        switch self {
        case .wrongKind(let file, let expected, nil):
            "\(file) is not a \(expected) file (it has no 'kind' attribute)"
        case .wrongKind(let file, let expected, let found?):
            "\(file) is not a \(expected) file (its 'kind' is '\(found)')"
        case .newerSchema(let file, let kind, let found, let supported):
            "\(file) is a \(kind) file of schema \(found); this build reads schema \(supported) and older: update DVEBench"
        case .malformed(let file, let object, let problem):
            "\(file): '\(object)': \(problem)"
        case .unwritable(let file, let problem):
            "cannot write \(file): \(problem)"
        case .damaged(let file, let problem):
            "\(file) is damaged: \(problem)"
        case .hdf5(let error):
            error.description
        }
    }

    /// Wraps anything thrown inside a read or write of `file`.
    static func wrap(_ error: any Error, file: String) -> ResultsFileError {
        switch error {
        case let error as ResultsFileError: error
        case let error as HDF5Error: .hdf5(error)
        default: .malformed(file: file, object: "/", problem: "\(error)")
        }
    }
}
