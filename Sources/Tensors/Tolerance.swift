/// How a computed array is judged against a stored reference array, as defined in the golden set's
/// README (section 2). `b` is the reference, `a` what we computed:
///
/// - `scaled(τ)`: `max_i |a_i − b_i| ≤ τ · max_i |b_i|`. An absolute error in units of the reference's
///   own scale, robust to elements near 0. An all-zero reference therefore demands exact zeros.
/// - `relative(r)`, meant for scalars: `|a − b| ≤ r · |b|` for every element.
/// - `absolute(t)`: `max_i |a_i − b_i| ≤ t`.
/// - `exact`: every element equal (bit-equal for floats, with NaN equal to NaN).
///
/// `relativeL2(limit)` may be added to any of them: `‖a − b‖₂ ≤ limit · ‖b‖₂` must hold as well
/// (used for gradients, where a single branch flip at a LeakyReLU kink moves a few elements).
/// Arrays of different lengths never pass.
public struct Tolerance: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case scaled(Double)
        case relative(Double)
        case absolute(Double)
        case exact
    }

    public var kind: Kind
    public var relativeL2: Double?

    public init(_ kind: Kind, relativeL2: Double? = nil) {
        self.kind = kind
        self.relativeL2 = relativeL2
    }

    public static func scaled(_ t: Double) -> Tolerance { Tolerance(.scaled(t)) }
    public static func relative(_ r: Double) -> Tolerance { Tolerance(.relative(r)) }
    public static func absolute(_ t: Double) -> Tolerance { Tolerance(.absolute(t)) }
    public static let exact = Tolerance(.exact)

    public func withRelativeL2(_ limit: Double) -> Tolerance { Tolerance(kind, relativeL2: limit) }

    public var description: String {
        let base: String
        switch kind {
        case .scaled(let t): base = "scaled(\(t))"
        case .relative(let r): base = "rel(\(r))"
        case .absolute(let t): base = "abs(\(t))"
        case .exact: base = "exact"
        }
        return relativeL2.map { "\(base)+relL2(\($0))" } ?? base
    }
}

/// The outcome of comparing one array against its reference.
public struct Comparison: Sendable, CustomStringConvertible {
    public var tolerance: Tolerance
    public var count: Int
    /// `max |a − b|`.
    public var maxAbsError: Double
    /// `max |a − b| / max |b|` (0 when both are all zero, infinity when only the reference is).
    public var maxErrorRelativeToScale: Double
    /// `‖a − b‖₂ / ‖b‖₂`.
    public var relativeL2Error: Double
    /// The flat index of the largest absolute error.
    public var worstIndex: Int
    public var passed: Bool
    /// Set when the comparison could not be made (length mismatch, NaN where the reference has none).
    public var problem: String?

    public var description: String {
        let verdict = passed ? "PASS" : "FAIL"
        let extra = problem.map { " (\($0))" } ?? ""
        return "max abs \(maxAbsError), rel-to-max \(maxErrorRelativeToScale), tol \(tolerance): \(verdict)\(extra)"
    }
}

extension Tolerance {
    public func compare(_ actual: [Float], _ reference: [Float]) -> Comparison {
        compare(actual.map(Double.init), reference.map(Double.init), bitwise: actual.elementsEqualBitwise(reference))
    }

    public func compare(_ actual: [Double], _ reference: [Double]) -> Comparison {
        compare(actual, reference, bitwise: actual.elementsEqualBitwise(reference))
    }

    public func compare(_ actual: [Float], _ reference: [Double]) -> Comparison {
        let a = actual.map(Double.init)
        return compare(a, reference, bitwise: a.elementsEqualBitwise(reference))
    }

    private func compare(_ a: [Double], _ b: [Double], bitwise: Bool) -> Comparison {
        var result = Comparison(tolerance: self, count: b.count, maxAbsError: 0, maxErrorRelativeToScale: 0,
                                relativeL2Error: 0, worstIndex: 0, passed: false, problem: nil)
        guard a.count == b.count else {
            result.problem = "\(a.count) values computed, reference has \(b.count)"
            result.maxAbsError = .infinity
            result.maxErrorRelativeToScale = .infinity
            return result
        }
        var maxRef = 0.0, diffSq = 0.0, refSq = 0.0
        var allRelativeOK = true
        var nanMismatch = false
        for i in 0..<b.count {
            if a[i].isNaN != b[i].isNaN { nanMismatch = true; continue }
            if a[i].isNaN { continue }
            let d = a[i] == b[i] ? 0 : abs(a[i] - b[i])
            if d > result.maxAbsError || d.isNaN { result.maxAbsError = d; result.worstIndex = i }
            maxRef = max(maxRef, abs(b[i]))
            diffSq += d * d
            refSq += b[i] * b[i]
            if case .relative(let r) = kind, d > r * abs(b[i]) { allRelativeOK = false }
        }
        result.maxErrorRelativeToScale = maxRef > 0 ? result.maxAbsError / maxRef : (result.maxAbsError == 0 ? 0 : .infinity)
        result.relativeL2Error = refSq > 0 ? (diffSq / refSq).squareRoot() : (diffSq == 0 ? 0 : .infinity)
        if nanMismatch { result.problem = "NaN where the other side has a number" }
        var ok: Bool
        switch kind {
        case .scaled(let t): ok = result.maxAbsError <= t * maxRef
        case .relative: ok = allRelativeOK
        case .absolute(let t): ok = result.maxAbsError <= t
        case .exact: ok = bitwise
        }
        if let limit = relativeL2 { ok = ok && result.relativeL2Error <= limit }
        result.passed = ok && !nanMismatch
        return result
    }
}

extension Array where Element: BinaryFloatingPoint {
    /// Equal element for element, treating NaN as equal to NaN and −0 as different from +0.
    func elementsEqualBitwise(_ other: [Element]) -> Bool {
        count == other.count && zip(self, other).allSatisfy { x, y in
            (x.isNaN && y.isNaN) || (x == y && x.sign == y.sign)
        }
    }
}
