/// The sizes of a `HourglassNet`, named after the reference constructor's arguments
/// (`model/hourglass.py HourglassNet(num_output_channels, num_blocks, planes_conv1, planes_block,
/// planes_hg)`, hourglass depth fixed to 4 there).
///
/// Every released configuration uses `.reference(outputChannels: 64)`. Smaller widths exist so that
/// backward can be checked against finite differences on an instance that runs in a fraction of a
/// second; the wiring (which blocks have a downsample conv, the key order) follows the same rules.
///
/// How the widths are used (bottleneck expansion 2):
/// - stem `conv1`: 3 → `planesConv1`, 7×7 stride 2; `layer1`: B(`planesConv1`, `planesConv1`);
/// - `layer2`: B(2·`planesConv1`, `planesBlock`); `layer3`: B(2·`planesBlock`, `planesHG`);
/// - every hourglass and head block: B(2·`planesHG`, `planesHG`), `blocksPerStack` per sequence;
/// - head convs: 2·`planesHG` → 2·`planesHG` → `outputChannels`.
/// A block B(in, p) has a 1×1 downsample conv exactly when in ≠ 2p, and only as the first block of its
/// sequence.
public struct HourglassWidths: Sendable, Equatable, Codable, CustomStringConvertible {
    public var outputChannels: Int
    public var planesConv1: Int
    public var planesBlock: Int
    public var planesHG: Int
    /// Levels of the hourglass (`depth_hg`, 4 in the reference). The input side must be divisible by
    /// 2^(depth + 1): the stem halves it, then every level pools by 2.
    public var depth: Int
    /// Bottlenecks per residual sequence (`num_blocks`).
    public var blocksPerStack: Int

    public init(outputChannels: Int, planesConv1: Int = 64, planesBlock: Int = 128, planesHG: Int = 128,
                depth: Int = 4, blocksPerStack: Int = 4) {
        self.outputChannels = outputChannels
        self.planesConv1 = planesConv1
        self.planesBlock = planesBlock
        self.planesHG = planesHG
        self.depth = depth
        self.blocksPerStack = blocksPerStack
    }

    /// `HourglassNet(num_output_channels=C)` with every other argument at its default.
    public static func reference(outputChannels: Int = 64) -> HourglassWidths {
        HourglassWidths(outputChannels: outputChannels)
    }

    /// The input side must be a multiple of this (32 for the reference depth 4).
    public var inputSideMultiple: Int { 1 << (depth + 1) }

    public var description: String {
        "HourglassWidths(C \(outputChannels), conv1 \(planesConv1), block \(planesBlock), hg \(planesHG), depth \(depth), blocks \(blocksPerStack))"
    }

    /// Throws for a size no network can be built with.
    public func validate() throws(HourglassError) {
        for (field, value, limit) in [("outputChannels", outputChannels, 1 << 16), ("planesConv1", planesConv1, 1 << 14),
                                      ("planesBlock", planesBlock, 1 << 14), ("planesHG", planesHG, 1 << 14),
                                      ("depth", depth, 12), ("blocksPerStack", blocksPerStack, 64)]
        where value < 1 || value > limit {
            throw .invalidWidth(field: field, value: value, requirement: "must be in 1...\(limit)")
        }
    }
}

/// Why a hourglass could not be built or run. Each case carries the offending value.
public enum HourglassError: Error, CustomStringConvertible, Sendable, Equatable {
    case invalidWidth(field: String, value: Int, requirement: String)
    /// The input is not (N, 3, H, W) with H and W positive multiples of `multiple`.
    case inputShape(got: [Int], multiple: Int)

    public var description: String {
        switch self {
        case .invalidWidth(let field, let value, let requirement):
            "hourglass width \(field) = \(value) \(requirement)"
        case .inputShape(let got, let multiple):
            "hourglass input must be (N, 3, H, W) with N ≥ 1 and H, W positive multiples of \(multiple) "
                + "(the stem halves the side and each hourglass level pools by 2); got \(got)"
        }
    }
}
