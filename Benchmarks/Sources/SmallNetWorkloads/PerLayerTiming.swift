import Landmarks
import Tensors

/// Per-layer wall-clock split of the two workloads, by running SmallNet's layers one at a time in
/// the order `Sequential` runs them (forward in order, backward in reverse). Diagnostic only: the
/// totals match the whole-network workloads up to clock-read overhead.
extension SmallNetWorkload {
    /// Leaf layers in forward order with dotted names as in the state dict (`conv1.0` is conv1's conv).
    public var leafLayers: [(name: String, layer: any Layer)] {
        func leaves(_ prefix: String, _ layer: any Layer) -> [(name: String, layer: any Layer)] {
            if let sequential = layer as? Sequential {
                return sequential.children.flatMap { leaves(prefix.isEmpty ? $0.name : prefix + "." + $0.name, $0.layer) }
            }
            return [(prefix, layer)]
        }
        return leaves("", net.network)
    }

    /// One pass, returning (layer name, phase, seconds) for every leaf; phase is "forward",
    /// "backward", or "zeroGrad" (whole network).
    public func timedLayers(_ kind: SmallNetWorkloadKind) -> [(name: String, phase: String, seconds: Double)] {
        let clock = ContinuousClock()
        let training = kind == .trainStep
        let layers = leafLayers
        var timings: [(name: String, phase: String, seconds: Double)] = []
        var x = input
        for (name, layer) in layers {
            let start = clock.now
            x = layer.forward(x, training: training)
            timings.append((name, "forward", seconds(clock.now - start)))
        }
        guard training else { return timings }
        x = .empty
        let start = clock.now
        net.zeroGrad()
        timings.append(("(all)", "zeroGrad", seconds(clock.now - start)))
        var g = outputGradient
        for (name, layer) in layers.reversed() {
            let start = clock.now
            g = layer.backward(g)
            timings.append((name, "backward", seconds(clock.now - start)))
        }
        return timings
    }

    private func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
