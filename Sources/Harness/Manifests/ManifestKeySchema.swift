import Foundation
import Yams

/// The keys each mapping of a manifest may hold, built from the types' `CodingKeys` so it cannot drift
/// from `Manifest`. `Codable` ignores keys it does not know; this is what rejects them.
indirect enum ManifestKeySchema: Sendable {
    /// A scalar, or anything whose inside is left to the decoder (lists of numbers).
    case leaf
    case mapping(keys: [String], nested: [String: ManifestKeySchema])
    case list(of: ManifestKeySchema)

    static let manifest = mapping(Manifest.CodingKeys.self, [
        "table": mapping(TableRef.CodingKeys.self),
        "expected": mapping(ExpectedRef.CodingKeys.self),
        "model": mapping(ModelSpec.CodingKeys.self, [
            "checkpoint": mapping(CheckpointRef.CodingKeys.self),
            "recipe": recipe,
        ]),
        "finetune": mapping(FinetuneSpec.CodingKeys.self, ["recipe": recipe]),
        "evaluation": mapping(EvaluationSpec.CodingKeys.self),
        "protocol": mapping(ProtocolSpec.CodingKeys.self, ["schedule": mapping(ScheduleSpec.CodingKeys.self)]),
        "metrics": .list(of: mapping(MetricSpec.CodingKeys.self, [
            "tolerance": mapping(ToleranceSpec.CodingKeys.self),
            "train_tolerance": mapping(ToleranceSpec.CodingKeys.self),
        ])),
    ])

    private static let recipe = mapping(RecipeSpec.CodingKeys.self, ["schedule": mapping(ScheduleSpec.CodingKeys.self)])

    private static func mapping<K: CodingKey & CaseIterable>(
        _ keys: K.Type, _ nested: [String: ManifestKeySchema] = [:]
    ) -> ManifestKeySchema {
        .mapping(keys: K.allCases.map(\.stringValue), nested: nested)
    }

    /// The first key in `node` (depth first, in document order) that the schema does not have.
    func firstUnknownKey(in node: Node, at path: ManifestFieldPath = ManifestFieldPath()) -> (path: ManifestFieldPath, line: Int?, allowed: [String])? {
        switch (self, node) {
        case (.mapping(let keys, let nested), .mapping(let mapping)):
            for (keyNode, value) in mapping {
                let key = keyNode.scalar?.string ?? "\(keyNode)"
                guard keys.contains(key) else { return (path.appending(key), keyNode.mark?.line, keys) }
                if let child = nested[key], let found = child.firstUnknownKey(in: value, at: path.appending(key)) {
                    return found
                }
            }
        case (.list(let element), .sequence(let sequence)):
            for (index, item) in sequence.enumerated() {
                if let found = element.firstUnknownKey(in: item, at: path.appending(index: index)) { return found }
            }
        default:
            // A shape mismatch (a scalar where a mapping belongs) is the decoder's to report, with its type.
            break
        }
        return nil
    }
}

/// Finding lines in a composed YAML document.
enum ManifestNodes {
    /// The 1-based line of the deepest existing node on `path`: the key's line for a mapping entry
    /// (where a reader looks), the item's line for a list element. A field that is absent is reported
    /// at its parent's key, which is where it would have to be added.
    static func line(of path: ManifestFieldPath, in root: Node) -> Int? {
        var node = root
        var line = root.mark?.line
        for component in path.components {
            switch (component, node) {
            case (.key(let key), .mapping(let mapping)):
                guard let entry = mapping.first(where: { $0.key.scalar?.string == key }) else { return line }
                line = entry.key.mark?.line ?? line
                node = entry.value
            case (.index(let index), .sequence(let sequence)):
                guard index >= 0, index < sequence.count else { return line }
                node = sequence[index]
                line = node.mark?.line ?? line
            default:
                return line
            }
        }
        return line
    }

    /// A field path from a `DecodingError` coding path (Yams uses integer keys for list items).
    static func path(_ codingPath: [any CodingKey], appending key: (any CodingKey)? = nil) -> ManifestFieldPath {
        ManifestFieldPath((codingPath + (key.map { [$0] } ?? [])).map { key in
            if let index = key.intValue, key.stringValue.hasPrefix("Index ") || key.stringValue == "\(index)" {
                return .index(index)
            }
            return .key(key.stringValue)
        })
    }
}
