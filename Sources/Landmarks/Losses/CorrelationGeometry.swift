#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Tensors

/// The sizes of one correlation-loss call, checked against what the reference implicitly requires.
///
/// The reference (`model/loss.py`) derives everything from two shapes: features `(2B, C, H, W)` and the
/// grid `(B, H_in, W_in, 2)`. The stride is `s = H_in // H` (integer division, taken from the heights
/// and used for both axes), and the grid is sub-sampled with `[::s, ::s]`. That slice has
/// `ceil(H_in / s) × ceil(W_in / s)` cells, and the reference only runs when this equals `H × W`
/// (otherwise its broadcasts fail), so the same condition is an error here rather than a guess.
struct CorrelationGeometry: Sendable, Equatable {
    let pairs: Int
    let channels: Int
    let height: Int
    let width: Int
    let gridHeight: Int
    let gridWidth: Int
    let stride: Int

    /// Cells of one feature map, N = H·W: the side of every correlation matrix.
    var cells: Int { height * width }
    /// Floats in one image's descriptors, C·N.
    var imageSize: Int { channels * cells }

    init(features: [Int], grid: [Int]) throws(CorrelationLossError) {
        guard features.count == 4 else { throw .featuresNotNCHW(shape: features) }
        guard features[0] > 0, features[0] % 2 == 0 else { throw .oddImageCount(shape: features) }
        guard features[1] > 0, features[2] > 0, features[3] > 0 else { throw .emptyFeatures(shape: features) }
        try self.init(pairs: features[0] / 2, channels: features[1], height: features[2], width: features[3], grid: grid)
    }

    init(pairs: Int, channels: Int, height: Int, width: Int, grid: [Int]) throws(CorrelationLossError) {
        guard grid.count == 4, grid[0] == pairs, grid[3] == 2 else {
            throw .gridShape(grid: grid, expectedPairs: pairs)
        }
        let stride = grid[1] / height
        guard stride >= 1, (grid[1] + stride - 1) / stride == height, (grid[2] + stride - 1) / stride == width else {
            throw .gridDoesNotMatchFeatures(grid: grid, featureHeight: height, featureWidth: width)
        }
        self.pairs = pairs
        self.channels = channels
        self.height = height
        self.width = width
        gridHeight = grid[1]
        gridWidth = grid[2]
        self.stride = stride
    }

    /// `grid_unnormalize(grid, H_in, W_in)[:, ::s, ::s]` flattened to `(B, N, 2)`: for every feature cell
    /// of a pair's first image, the pixel of the second image it came from, in the input frame.
    /// Computed in Float32 exactly as the reference does, `((v + 1) / 2) * (W_in − 1)` for x and with
    /// `H_in − 1` for y (align-corners convention; the division by 2 is exact).
    func targetPixels(_ grid: [Float]) -> [Float] {
        var out = [Float](repeating: 0, count: pairs * cells * 2)
        let xScale = Float(gridWidth - 1), yScale = Float(gridHeight - 1)
        for b in 0..<pairs {
            for i in 0..<height {
                for j in 0..<width {
                    let src = ((b * gridHeight + i * stride) * gridWidth + j * stride) * 2
                    let dst = ((b * height + i) * width + j) * 2
                    out[dst] = ((grid[src] + 1) / 2) * xScale
                    out[dst + 1] = ((grid[src + 1] + 1) / 2) * yScale
                }
            }
        }
        return out
    }
}

/// The exponent applied to the distances. PyTorch's `pow(tensor, scalar)` computes 0.5, 1 and 2 as
/// `sqrt`, the identity and `x·x` rather than through `std::pow`; doing the same keeps D bit-equal
/// to the reference's float32 D for the exponent every config uses.
enum DistancePower: Sendable, Equatable {
    case squareRoot
    case identity
    case square
    case general(Float)

    init(_ p: Float) {
        switch p {
        case 0.5: self = .squareRoot
        case 1: self = .identity
        case 2: self = .square
        default: self = .general(p)
        }
    }
}

/// One row of the distance matrix, generated on demand so the N×N matrix D never has to be stored.
///
/// `D[p, q] = ‖t_p − x_q‖₂^pow` where `t_p` is source cell p's target pixel and
/// `x_q = (s·l, s·k)` is target cell q = k·W + l in input pixels (top-left convention, no half-cell
/// offset; the reference's `linspace(0, W−1, W)` is exact for these integers). Float32 throughout,
/// `dx·dx + dy·dy`, then `sqrt`, then the power, as the reference's `(diff * diff).sum(4).sqrt().pow(pow)`.
struct DistanceRows: Sendable {
    let cells: Int
    let power: DistancePower
    /// `s·l` and `s·k` of every target cell q = k·W + l, so a row is one flat vectorised pass.
    private let xs: [Float]
    private let ys: [Float]

    init(height: Int, width: Int, stride: Int, pow: Float) {
        cells = height * width
        power = DistancePower(pow)
        xs = (0..<cells).map { Float(($0 % width) * stride) }
        ys = (0..<cells).map { Float(($0 / width) * stride) }
    }

    /// Writes the N distances from target pixel `(tx, ty)` to every target cell into `row`.
    func fill(_ row: UnsafeMutablePointer<Float>, tx: Float, ty: Float) {
        typealias V = RowKernels.Vector
        let lanes = RowKernels.lanes, body = cells - cells % lanes
        xs.withUnsafeBufferPointer { xs in
            ys.withUnsafeBufferPointer { ys in
                let x = xs.baseAddress!, y = ys.baseAddress!
                let vtx = V(repeating: tx), vty = V(repeating: ty)
                var q = 0
                while q < body {
                    let dx = vtx - RowKernels.load(x + q), dy = vty - RowKernels.load(y + q)
                    let d = RowKernels.squareRoot(dx * dx + dy * dy)
                    let out: V
                    switch power {
                    case .squareRoot: out = RowKernels.squareRoot(d)
                    case .identity, .general: out = d
                    case .square: out = d * d
                    }
                    RowKernels.store(out, row + q)
                    q += lanes
                }
                while q < cells {
                    let dx = tx - x[q], dy = ty - y[q]
                    let d = (dx * dx + dy * dy).squareRoot()
                    switch power {
                    case .squareRoot: row[q] = d.squareRoot()
                    case .identity, .general: row[q] = d
                    case .square: row[q] = d * d
                    }
                    q += 1
                }
            }
        }
        if case .general(let p) = power {
            for q in 0..<cells { row[q] = powf(row[q], p) }
        }
    }
}
