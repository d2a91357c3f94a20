import Tensors

/// One line of `dvebench golden verify`: a stored reference quantity recomputed and compared.
public struct GoldenCheck: Sendable {
    public enum Outcome: Sendable, Equatable {
        case pass
        case fail
        /// The file is present but this build does not know how to recompute it.
        case notCovered
    }

    /// Path of the golden file relative to the verified directory.
    public var file: String
    /// What is checked, usually the dataset path inside the file.
    public var name: String
    public var maxAbsError: Double
    /// Max error divided by the reference's max |value|.
    public var maxErrorRelativeToScale: Double
    public var tolerance: String
    public var outcome: Outcome
    /// Why it failed or is not covered, or extra facts (rel-L2, counts).
    public var detail: String?

    public init(file: String, name: String, comparison: Comparison, detail: String? = nil) {
        self.file = file
        self.name = name
        maxAbsError = comparison.maxAbsError
        maxErrorRelativeToScale = comparison.maxErrorRelativeToScale
        tolerance = comparison.tolerance.description
        outcome = comparison.passed ? .pass : .fail
        var notes: [String] = []
        if comparison.tolerance.relativeL2 != nil { notes.append("relL2 \(comparison.relativeL2Error)") }
        if let problem = comparison.problem { notes.append(problem) }
        if let detail { notes.append(detail) }
        self.detail = notes.isEmpty ? nil : notes.joined(separator: "; ")
    }

    public init(file: String, name: String, outcome: Outcome, tolerance: String = "exact",
                maxAbsError: Double = .nan, detail: String? = nil) {
        self.file = file
        self.name = name
        self.maxAbsError = maxAbsError
        maxErrorRelativeToScale = .nan
        self.tolerance = tolerance
        self.outcome = outcome
        self.detail = detail
    }

    /// A check that could not be carried out because reading or computing failed.
    public static func failure(file: String, name: String, _ error: any Error) -> GoldenCheck {
        GoldenCheck(file: file, name: name, outcome: .fail, detail: "\(error)")
    }

    /// An exact equality check of two values that are not arrays of numbers (names, counts).
    public static func equality<T: Equatable>(file: String, name: String, got: T, expected: T) -> GoldenCheck {
        GoldenCheck(file: file, name: name, outcome: got == expected ? .pass : .fail, tolerance: "exact",
                    maxAbsError: got == expected ? 0 : .nan,
                    detail: got == expected ? nil : "expected \(expected), got \(got)")
    }
}

/// Everything `golden verify` found in one directory.
public struct GoldenReport: Sendable {
    public var directory: String
    public var checks: [GoldenCheck]

    /// At least one check ran and none failed. Uncovered files do not fail a report, and do not pass.
    public var passed: Bool { checks.contains { $0.outcome == .pass } && !checks.contains { $0.outcome == .fail } }
    public var failures: [GoldenCheck] { checks.filter { $0.outcome == .fail } }
    public var uncovered: [GoldenCheck] { checks.filter { $0.outcome == .notCovered } }
}
