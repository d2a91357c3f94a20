import Tensors

/// The DVE keypoint regressor, `IntermediateKeypointPredictor` of `model/keypoint_prediction.py`
/// (reference models.md §4, golden README §8, quirk Q8), with the reference's state keys.
///
/// With `L = nA·nI` "virtual keypoints" (nA annotated points, nI = 50 intermediate points each) and
/// frozen descriptors `D` of shape (B, C, H, W), `forward` computes, in float32:
/// ```
/// corr[b,l,p]  = Σ_c inner_conv.weight[l,c] · D[b,c,p]          p = (i,j) over the H·W cells (1×1 conv, no bias)
/// P[b,l,:]     = softmax_p(mul · corr[b,l,:])                    mul = softargmaxMultiplier (100 in every config)
/// M[b,l]       = Σ_p P[b,l,p]                                     (≈ 1; the reference divides by it anyway)
/// X[b,l]       = Σ_p P[b,l,p] · xs[j] / M,   Y[b,l] = Σ_p P[b,l,p] · ys[i] / M
/// intermediate[b,a,n,:] = (X, Y)[b, l = a·nI + n]                 shape (B, nA, nI, 2)
/// pred[b,a,o]  = Σ_{n<nI, e∈{x,y}} reg_conv.weight[2a+o, 2n+e] · intermediate[b,a,n,e]
/// ```
/// `xs = linspace(−1, 1, W)`, `ys = linspace(−1, 1, H)` in float32 as `linspace` (a `Linspace.Variant`)
/// computes them: −1 and +1 are the centres of the first and last **feature cell**, while the targets
/// are normalised over input pixels (`normalizedKeypoints`); the learned regressor absorbs the affine
/// mismatch, as in the reference. `reg_conv` is a grouped 1×1 conv (groups = nA, no bias): group a
/// reads the interleaved `x₀, y₀, x₁, y₁, …` of its own nI points and writes channels 2a (x), 2a+1 (y).
///
/// **State** (PyTorch `state_dict` order): `descriptors` [L, C, 1, 1], `inner_conv.weight` [L, C, 1, 1],
/// `reg_conv.weight` [2nA, 2nI, 1, 1], `linear.{a}.weight` [2, 2nI] for a = 0..<nA.
/// - `descriptors` **is** `inner_conv.weight`: the reference wraps the same CPU storage in a second
///   `Parameter`, so a checkpoint lists it twice. Here both keys name the *same* `Parameter` object
///   (`innerWeight`), so they cannot drift apart. `load(_:source:)` accepts both keys (each is
///   shape-checked); it assigns them in key order, so the `inner_conv.weight` value — the one the
///   forward uses — wins if a checkpoint's two copies differ (after a GPU run the reference's
///   `descriptors` keeps its initial values; `aliasDivergence(in:)` measures that).
/// - `linear.*` is dead weight: only used to initialise `reg_conv` (copied, not shared), never read by
///   `forward`, never given a gradient.
///
/// **Backward**: the input is `.detach()`ed in the reference, so `backward(_:)` accumulates the
/// gradients of `inner_conv.weight` and `reg_conv.weight` only and returns `Tensor.empty`.
/// `descriptors` and `linear.*` get no gradient (`parametersWithoutGradient`); see
/// `optimizerParameters` for how the optimiser treats them (quirk Q13).
///
/// A training forward keeps P, (B, L, H·W) floats, for the backward pass: 39 MB for batch 32, nA = 5 at
/// 35×35; 0.53 GB for nA = 68. An inference forward (`training: false`) needs one L×H·W buffer per worker.
/// Images are spread over `ComputeThreads.count` workers; the `inner_conv.weight` gradient is
/// accumulated per worker and reduced in worker order, so results are reproducible for a thread count.
public final class IntermediateKeypointPredictor: Layer {
    /// C: the channel count of the descriptors (`descriptor_dimension`).
    public let descriptorDimension: Int
    /// nA: 5 for MAFL / AFLW, 68 for 300-W (`num_annotated_points`).
    public let annotatedPoints: Int
    /// nI: 50 in every config (`num_intermediate_points`).
    public let intermediatePoints: Int
    /// The softmax temperature multiplier (`softargmax_mul`): 100 in every regression config (the class
    /// default 50 is overridden; the misspelt config key `softmaxarg_mul` is never read).
    public let softargmaxMultiplier: Float
    /// How `linspace(−1, 1, n)` is rounded (`.torch1_13` made the golden file, `.torch1_1` is the paper's).
    public let linspace: Linspace.Variant

    /// `inner_conv.weight`, also stored under `descriptors`: (L, C, 1, 1).
    public let innerWeight: Parameter
    /// `reg_conv.weight`: (2nA, 2nI, 1, 1).
    public let regressionWeight: Parameter
    /// `linear.{a}.weight`: (2, 2nI) each, dead after initialisation.
    public let linearWeights: [Parameter]

    // Forward memory, reused across calls.
    var probabilities = Tensor.empty
    var cachedInput: Tensor?
    var masses: [Float] = []
    var output = Tensor.empty
    /// `intermediate` of the last forward: (B, nA, nI, 2), normalised (x, y).
    public internal(set) var intermediate = Tensor.empty
    /// The axes of the last map size, and the same tiled over the H·W cells (`xs[p % W]`, `ys[p / W]`).
    var axes: (height: Int, width: Int, xs: [Float], ys: [Float], cellX: [Float], cellY: [Float])?

    /// A regressor with zero weights; call `initialize(using:)` or `load(_:source:)`.
    /// Every size must be positive and the multiplier finite.
    public init(descriptorDimension: Int, annotatedPoints: Int, intermediatePoints: Int = 50,
                softargmaxMultiplier: Float = 100, linspace: Linspace.Variant = .torch1_13) throws(KeypointError) {
        for (field, value) in [("descriptorDimension", descriptorDimension), ("annotatedPoints", annotatedPoints),
                               ("intermediatePoints", intermediatePoints)] where value <= 0 || value > 1 << 20 {
            throw .invalidSize(field: field, value: "\(value)", requirement: "must lie in 1…\(1 << 20)")
        }
        guard softargmaxMultiplier.isFinite else {
            throw .invalidSize(field: "softargmaxMultiplier", value: "\(softargmaxMultiplier)", requirement: "must be finite")
        }
        self.descriptorDimension = descriptorDimension
        self.annotatedPoints = annotatedPoints
        self.intermediatePoints = intermediatePoints
        self.softargmaxMultiplier = softargmaxMultiplier
        self.linspace = linspace
        let latent = annotatedPoints * intermediatePoints
        innerWeight = Parameter(Tensor(shape: [latent, descriptorDimension, 1, 1]))
        regressionWeight = Parameter(Tensor(shape: [2 * annotatedPoints, 2 * intermediatePoints, 1, 1]))
        linearWeights = (0..<annotatedPoints).map { _ in Parameter(Tensor(shape: [2, 2 * intermediatePoints])) }
    }

    /// L = nA·nI, the number of soft-argmax points.
    public var latentPoints: Int { annotatedPoints * intermediatePoints }

    public var stateEntries: [(key: String, entry: StateEntry)] {
        var entries: [(key: String, entry: StateEntry)] = [
            ("descriptors", .parameter(innerWeight)),
            ("inner_conv.weight", .parameter(innerWeight)),
            ("reg_conv.weight", .parameter(regressionWeight)),
        ]
        for (a, p) in linearWeights.enumerated() { entries.append(("linear.\(a).weight", .parameter(p))) }
        return entries
    }

    /// The keys that never receive a gradient: `descriptors` and every `linear.{a}.weight`, in state
    /// order (the golden file's `params_without_grad`).
    public var parametersWithoutGradient: [String] {
        ["descriptors"] + (0..<annotatedPoints).map { "linear.\($0).weight" }
    }

    /// What the reference hands to Adam (quirk Q13), as one list of distinct `Parameter` objects:
    /// `inner_conv.weight`, `reg_conv.weight`, `linear.*.weight`. `descriptors` is left out because it
    /// is the same object as `inner_conv.weight` (Adam refuses a parameter twice) — which reproduces the
    /// reference on the CPU, where the aliased storage makes `descriptors` follow every step of
    /// `inner_conv.weight` although Adam skips `descriptors` itself. Step with
    /// `skipping: skippedByOptimizer` so the dead `linear.*` weights are neither decayed nor moved.
    public var optimizerParameters: [(key: String, parameter: Parameter)] {
        [("inner_conv.weight", innerWeight), ("reg_conv.weight", regressionWeight)]
            + linearWeights.enumerated().map { ("linear.\($0.offset).weight", $0.element) }
    }

    /// The optimiser entries that never have a gradient (`linear.*.weight`).
    public var skippedByOptimizer: Set<String> {
        Set((0..<annotatedPoints).map { "linear.\($0).weight" })
    }

    /// `max |descriptors − inner_conv.weight|` in a state dict (0 for CPU-trained or fresh regressors),
    /// nil when either key is missing or not a float tensor of one shape.
    public static func aliasDivergence(in dict: StateDict) -> Float? {
        guard case .float(let a)? = dict["descriptors"], case .float(let b)? = dict["inner_conv.weight"],
              a.shape == b.shape else { return nil }
        return zip(a.storage, b.storage).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
    }

    /// Checks that `input` is (B, C, H, W) with this regressor's C and at least one cell, so that
    /// `forward` (which treats a bad shape as a programming error, as every `Layer` does) accepts it.
    public func validate(input: Tensor) throws(KeypointError) {
        guard input.rank == 4, input.shape[1] == descriptorDimension, input.shape[2] > 0, input.shape[3] > 0 else {
            throw .shape(argument: "descriptors", expected: "(B, \(descriptorDimension), H ≥ 1, W ≥ 1)", got: input.shape)
        }
    }

    /// Predictions (B, nA, 2) and intermediate points (B, nA, nI, 2) for `input`, with validation.
    /// `training: true` keeps what `backward` needs.
    public func predict(_ input: Tensor, training: Bool = false) throws(KeypointError) -> (pred: Tensor, intermediate: Tensor) {
        try validate(input: input)
        let pred = forward(input, training: training)
        return (pred, intermediate)
    }

    /// `pred` (B, nA, 2); `intermediate` is left in the property of that name. A wrong channel count or
    /// an empty map is a programming error (`validate(input:)` first when the shape is not known good).
    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        precondition((try? validate(input: input)) != nil,
                     "IntermediateKeypointPredictor(C=\(descriptorDimension)) got input \(input.shape)")
        runForward(input, training: training)
        cachedInput = training ? input : nil
        return output
    }

    /// Accumulates `inner_conv.weight.grad` and `reg_conv.weight.grad` from dL/dpred (B, nA, 2) and
    /// returns `Tensor.empty`: the input is detached, as in the reference.
    public func backward(_ gradOutput: Tensor) -> Tensor {
        guard let input = cachedInput else { preconditionFailure("IntermediateKeypointPredictor.backward without a training forward") }
        cachedInput = nil
        precondition(gradOutput.shape == [input.shape[0], annotatedPoints, 2],
                     "gradient \(gradOutput.shape) does not match pred [\(input.shape[0]), \(annotatedPoints), 2]")
        runBackward(input, gradOutput)
        return Tensor.empty
    }

    /// `linspace(−1, 1, W)` and `linspace(−1, 1, H)` as this regressor rounds them (cached per size).
    public func coordinateAxes(height: Int, width: Int) -> (xs: [Float], ys: [Float]) {
        if let axes, axes.height == height, axes.width == width { return (axes.xs, axes.ys) }
        let xs = Linspace.values(from: -1, to: 1, count: width, variant: linspace)
        let ys = Linspace.values(from: -1, to: 1, count: height, variant: linspace)
        let cells = 0..<(height * width)
        axes = (height, width, xs, ys, cells.map { xs[$0 % width] }, cells.map { ys[$0 / width] })
        return (xs, ys)
    }
}
