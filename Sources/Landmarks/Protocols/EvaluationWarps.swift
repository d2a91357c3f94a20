import Tensors

/// The TPS parameters `test_matching.py::evaluation` draws for every item of an evaluation set, in
/// item order, shipped as data (`expected/eval-warps/<set>.h5`; reading them is `Harness.EvalWarpsFile`).
///
/// PyTorch's generator cannot be replayed in Swift, so the parameters the reference drew after
/// `torch.manual_seed(0)` (DataLoader base-seed draw included) were recorded. Item `i` gets warp
/// `weights[i].first` (g1, giving the singly warped B) and `weights[i].second` (g2, applied to B to give
/// the doubly warped A). The parameters are independent of image content, image size and architecture;
/// only the grid built from them depends on `imwidth`.
public struct EvaluationWarps: Sendable {
    /// Where the parameters came from, for reports (e.g. the file name `mafl.h5`).
    public let name: String
    /// The evaluation set they belong to (`mafl`, `aflw`, `aflw_mtfl`, `300w`).
    public let set: String
    /// Items in the set; `weights.count` is `2·⌊itemsInSet / 2⌋` (the dropped last item draws nothing).
    public let itemsInSet: Int
    /// Per item, in dataset order: (first warp g1, second warp g2).
    public let weights: [(first: TPSWeights, second: TPSWeights)]
    /// The file names in dataset order, when the file stores them (MAFL only).
    public let itemNames: [String]?

    public init(name: String, set: String, itemsInSet: Int, weights: [(first: TPSWeights, second: TPSWeights)],
                itemNames: [String]? = nil) {
        self.name = name
        self.set = set
        self.itemsInSet = itemsInSet
        self.weights = weights
        self.itemNames = itemNames
    }

    /// Items with parameters.
    public var count: Int { weights.count }
    /// Matching pairs these parameters cover (one per two items).
    public var pairCount: Int { weights.count / 2 }
}

/// Where the warps of a matching run came from. A `.seeded` run does **not** reproduce the reference's
/// numbers (the warps are distributed alike but are not PyTorch's draws); reports must say so.
public enum MatchingWarpSource: Sendable, Equatable, CustomStringConvertible {
    /// Recorded reference parameters (`EvaluationWarps.name`).
    case file(String)
    /// The fallback: `Warper.evaluation` amplitudes, item `i` drawing from
    /// `SeededGenerator(seed: SeededGenerator.derive(seed, UInt64(i)))`.
    case seeded(UInt64)

    public var isReferenceWarps: Bool { if case .file = self { true } else { false } }

    public var description: String {
        switch self {
        case .file(let name): "recorded reference warps (\(name))"
        case .seeded(let seed): "seeded fallback warps (seed \(seed); not the reference's draws)"
        }
    }
}
