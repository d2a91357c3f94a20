/// The tiles and transforms of Winograd's minimal filtering F(2×2, 3×3) for one image of a stride-1
/// convolution (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016).
///
/// A 2×2 output tile is Aᵀ·[U ⊙ V]·A, with U = G·g·Gᵀ the 4×4 transformed kernel and V = Bᵀ·d·B the
/// transformed 4×4 input tile. Summed over input channels, the 16 element-wise products become 16
/// matrix products U[k] (Cout × Cin) · V[k] (Cin × tiles), 16 multiplications per output pair where the
/// lowered convolution needs 36. Every transform uses only 0, ±1 and ±½.
///
/// Larger kernels: a k×k kernel, zero-padded to 3q × 3q (q = ⌈k/3⌉), is q² 3×3 sub-kernels, the one at
/// (sy, sx) reading the input 3·sy·d rows and 3·sx·d columns further on. Each sub-kernel is one more
/// block of input rows in the same 16 GEMMs: U[k] is Cout × (q²·Cin) and V[k] is (q²·Cin) × tiles. A 5×5
/// kernel takes 64 products per 2×2 tile and channel pair instead of 100, with the 3×3 transforms' rounding
/// (`Conv2d` uses this only when asked: it measured no faster on SmallNet's 5×5 layers).
///
/// Dilation d: the outputs whose rows (and columns) agree mod d form an ordinary 3×3 convolution of the
/// inputs in the same class, so a tile's outputs are rows (y0, y0 + d) × columns (x0, x0 + d) and it
/// reads input rows y0 − p + d·a, a = 0…3. Output rows split into blocks of 2d, each holding d tile rows.
///
/// Layouts: transformed inputs are `[16][q²][channels][tiles]` and outputs `[16][outChannels][tiles]`,
/// tile t = row-tile · columnTiles + column-tile, so each of the 16 slices is a row-major GEMM operand.
/// Tile origins are listed phase by phase (r, r + 2d, r + 4d, … for r = 0 … d − 1), so consecutive tiles
/// of a phase share two taps: the input gradient adds each pixel's two contributions at once, and for
/// d = 1 the input transform reads the taps as the even and odd lanes of contiguous vectors. Images are
/// read through a zero-padded copy of one plane (`paddedHeight × paddedWidth`), so no gather tests bounds.
///
/// The image transforms are in `WinogradTiling+Inputs.swift` and `WinogradTiling+Outputs.swift`.
struct WinogradTiling: Sendable {
    static let positions = 16

    let channels: Int
    let outChannels: Int
    let kernel: Int
    /// q: sub-kernels per axis.
    let split: Int
    let height: Int
    let width: Int
    let padding: Int
    let dilation: Int
    let outHeight: Int
    let outWidth: Int
    /// y0 of each tile row and x0 of each tile column, in output coordinates.
    let rowOrigins: [Int]
    let columnOrigins: [Int]
    /// The tile columns of each phase r (origins r + 2d·j), as a range of column-tile indices.
    let columnPhases: [Range<Int>]

    init(channels: Int, outChannels: Int, kernel: Int, height: Int, width: Int, padding: Int, dilation: Int) {
        self.channels = channels
        self.outChannels = outChannels
        self.kernel = kernel
        split = (kernel + 2) / 3
        self.height = height
        self.width = width
        self.padding = padding
        self.dilation = dilation
        outHeight = height + 2 * padding - (kernel - 1) * dilation
        outWidth = width + 2 * padding - (kernel - 1) * dilation
        rowOrigins = Self.phases(outSize: outHeight, dilation: dilation).flatMap { $0 }
        let columns = Self.phases(outSize: outWidth, dilation: dilation)
        columnOrigins = columns.flatMap { $0 }
        var start = 0
        columnPhases = columns.map { phase in
            defer { start += phase.count }
            return start..<start + phase.count
        }
    }

    /// The first output index of every tile along one axis, phase by phase: r, r + 2d, r + 4d, … below
    /// `outSize`, for r = 0 … d − 1. A tile covers r + 2d·j and r + 2d·j + d.
    static func phases(outSize: Int, dilation d: Int) -> [[Int]] {
        (0..<d).map { r in Array(stride(from: r, to: outSize, by: 2 * d)) }
    }

    /// Rows of each transformed input slice, the GEMMs' inner dimension: q² sub-kernels × channels.
    var inputRows: Int { split * split * channels }
    var columnTiles: Int { columnOrigins.count }
    var tiles: Int { rowOrigins.count * columnOrigins.count }
    /// Input planes padded by `padding` at the top and left, and far enough at the bottom and right for
    /// the last tiles' last sub-kernel's fourth tap row and column (3q·d past their origin).
    var paddedHeight: Int { outHeight + 3 * split * dilation }
    var paddedWidth: Int { outWidth + 3 * split * dilation }
    /// Output planes with `dilation` spare rows and columns for the second output of edge tiles.
    var paddedOutHeight: Int { outHeight + dilation }
    var paddedOutWidth: Int { outWidth + dilation }

    /// Floats of the `lines` workspace every transform below takes: combined rows or per-tile values,
    /// and room for vector loads past their ends.
    var lineWorkspace: Int { max(4 * paddedWidth, 16 * columnTiles) + 4 * Self.slack }

    /// Floats of per-worker workspace the forward transforms need beside V and M.
    var forwardWorkspace: Int {
        paddedHeight * paddedWidth + lineWorkspace + paddedOutHeight * paddedOutWidth
    }

    // MARK: Weights

    /// U[k][o][s·Cin + i] = (G·g·Gᵀ)[k] for every 3×3 sub-kernel g (s) of weight[o][i]
    /// (`[Cout][Cin][kernel][kernel]`); taps past the kernel are zero.
    func transformWeights(_ weight: UnsafePointer<Float>, into u: UnsafeMutablePointer<Float>) {
        let k = kernel, slice = outChannels * inputRows
        forEachSubKernel { offset, column, sy, sx in
            let full = weight + offset
            func tap(_ ky: Int, _ kx: Int) -> Float {
                let y = 3 * sy + ky, x = 3 * sx + kx
                return y < k && x < k ? full[y * k + x] : 0
            }
            // G down each column kx, then G along each resulting row a.
            let c0 = Self.interpolate(tap(0, 0), tap(1, 0), tap(2, 0))
            let c1 = Self.interpolate(tap(0, 1), tap(1, 1), tap(2, 1))
            let c2 = Self.interpolate(tap(0, 2), tap(1, 2), tap(2, 2))
            let target = u + column
            func storeRow(_ a: Int, _ row: (Float, Float, Float, Float)) {
                target[(a * 4) * slice] = row.0
                target[(a * 4 + 1) * slice] = row.1
                target[(a * 4 + 2) * slice] = row.2
                target[(a * 4 + 3) * slice] = row.3
            }
            storeRow(0, Self.interpolate(c0.0, c1.0, c2.0))
            storeRow(1, Self.interpolate(c0.1, c1.1, c2.1))
            storeRow(2, Self.interpolate(c0.2, c1.2, c2.2))
            storeRow(3, Self.interpolate(c0.3, c1.3, c2.3))
        }
    }

    /// Adds Gᵀ·dU·G, the gradient with respect to each 3×3 sub-kernel, onto `weightGradient`
    /// (`[Cout][Cin][kernel][kernel]`); the zero taps past the kernel have no parameter to receive theirs.
    func addWeightGradient(_ du: UnsafePointer<Float>, onto weightGradient: UnsafeMutablePointer<Float>) {
        let k = kernel, slice = outChannels * inputRows
        forEachSubKernel { offset, column, sy, sx in
            let full = weightGradient + offset, source = du + column
            func add(_ ky: Int, _ values: (Float, Float, Float)) {
                let y = 3 * sy + ky, x = 3 * sx
                guard y < k else { return }
                if x < k { full[y * k + x] += values.0 }
                if x + 1 < k { full[y * k + x + 1] += values.1 }
                if x + 2 < k { full[y * k + x + 2] += values.2 }
            }
            // Gᵀ down each column b, then Gᵀ along each resulting row ky.
            func transformedColumn(_ b: Int) -> (Float, Float, Float) {
                Self.interpolateAdjoint(source[b * slice], source[(4 + b) * slice],
                                        source[(8 + b) * slice], source[(12 + b) * slice])
            }
            let c0 = transformedColumn(0), c1 = transformedColumn(1)
            let c2 = transformedColumn(2), c3 = transformedColumn(3)
            add(0, Self.interpolateAdjoint(c0.0, c1.0, c2.0, c3.0))
            add(1, Self.interpolateAdjoint(c0.1, c1.1, c2.1, c3.1))
            add(2, Self.interpolateAdjoint(c0.2, c1.2, c2.2, c3.2))
        }
    }

    /// Calls `body` for every output channel o, input channel i and 3×3 sub-kernel (sy, sx) with the
    /// offset of weight[o][i] and the column o·inputRows + (sy·q + sx)·Cin + i that U and dU keep it in.
    private func forEachSubKernel(_ body: (_ offset: Int, _ column: Int, _ sy: Int, _ sx: Int) -> Void) {
        let q = split
        for o in 0..<outChannels {
            for i in 0..<channels {
                for sy in 0..<q {
                    for sx in 0..<q {
                        body((o * channels + i) * kernel * kernel, o * inputRows + (sy * q + sx) * channels + i, sy, sx)
                    }
                }
            }
        }
    }

    /// G·(g0, g1, g2): the four transformed values of three taps.
    @inline(__always)
    private static func interpolate(_ g0: Float, _ g1: Float, _ g2: Float) -> (Float, Float, Float, Float) {
        (g0, 0.5 * (g0 + g1 + g2), 0.5 * (g0 - g1 + g2), g2)
    }

    /// Gᵀ·(u0, u1, u2, u3), the adjoint of `interpolate`.
    @inline(__always)
    private static func interpolateAdjoint(_ u0: Float, _ u1: Float, _ u2: Float, _ u3: Float) -> (Float, Float, Float) {
        (u0 + 0.5 * (u1 + u2), 0.5 * (u1 - u2), 0.5 * (u1 + u2) + u3)
    }
}

/// Four tiles at a time: the baseline x86-64 build has 16 SSE registers, and the output transform keeps
/// twelve vectors live.
typealias Lanes = SIMD4<Float>

extension WinogradTiling {
    /// Floats past the end of a buffer that a vector load may touch (see `load`).
    static let slack = Lanes.scalarCount
}

/// Loads four floats; past a run's end the extra lanes are garbage that `store` never writes.
@inline(__always)
func load(_ p: UnsafePointer<Float>) -> Lanes { UnsafeRawPointer(p).loadUnaligned(as: Lanes.self) }

@inline(__always)
func load(_ p: UnsafeMutablePointer<Float>) -> Lanes { load(UnsafePointer(p)) }

/// Eight floats: the taps of four consecutive tiles of a phase, split by `evenHalf` and `oddHalf`.
@inline(__always)
func loadPair(_ p: UnsafePointer<Float>) -> SIMD8<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }

/// Stores the first `count` lanes (all four in the body of a run, fewer at its end).
@inline(__always)
func store(_ v: Lanes, _ p: UnsafeMutablePointer<Float>, _ count: Int) {
    if count == Lanes.scalarCount {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Lanes.self)
    } else {
        for lane in 0..<count { p[lane] = v[lane] }
    }
}
