/// A shell-style pattern over row ids that also says what its wildcards matched, so that two
/// patterns can pair rows: `T01/celeba-smallnet-*/matching` and `T01/celeba-hourglass-*/matching`
/// pair `…-smallnet-64d-dve/…` with `…-hourglass-64d-dve/…` because `*` matched `64d-dve` in both.
///
/// `*` matches any run of characters, slashes included (row ids are not file paths); `?` matches
/// one character; everything else matches itself. There are no character classes or escapes:
/// row ids do not contain `*` or `?`.
public struct RowGlob: Sendable, Equatable, CustomStringConvertible {
    public let pattern: String
    private let tokens: [Token]

    private enum Token: Equatable, Sendable {
        case literal(Character)
        case any
        case one
    }

    public init(_ pattern: String) {
        self.pattern = pattern
        tokens = pattern.map { $0 == "*" ? .any : $0 == "?" ? .one : .literal($0) }
    }

    public var description: String { pattern }

    /// Number of `*` and `?` in the pattern: the length of every capture list.
    public var wildcardCount: Int {
        tokens.filter { if case .literal = $0 { false } else { true } }.count
    }

    /// What each wildcard matched, in order, or nil when `id` does not match. Each `*` takes the
    /// shortest text that lets the rest match (leftmost-shortest), which makes the captures of a
    /// given id unique; since an id is its literals interleaved with its captures, two ids that
    /// match one pattern never share captures.
    public func captures(_ id: String) -> [String]? {
        let characters = Array(id)
        var captured: [String] = []
        return match(0, characters, 0, &captured) ? captured : nil
    }

    private func match(_ t: Int, _ text: [Character], _ i: Int, _ captured: inout [String]) -> Bool {
        guard t < tokens.count else { return i == text.count }
        switch tokens[t] {
        case .literal(let c):
            return i < text.count && text[i] == c && match(t + 1, text, i + 1, &captured)
        case .one:
            guard i < text.count else { return false }
            captured.append(String(text[i]))
            if match(t + 1, text, i + 1, &captured) { return true }
            captured.removeLast()
            return false
        case .any:
            for end in i...text.count {
                captured.append(String(text[i..<end]))
                if match(t + 1, text, end, &captured) { return true }
                captured.removeLast()
            }
            return false
        }
    }
}
