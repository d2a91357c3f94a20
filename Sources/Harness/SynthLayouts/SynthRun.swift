import Foundation
import ImageIO
import Landmarks

/// What `dvebench synth` does, kept out of the executable so the CLI stays parsing and printing:
/// write a SynthFaces tree in a real layout, contact sheets, and a single-core speed measurement.
public enum SynthRun {
    /// The dataset layouts `synth --layout` writes, named here for the command line (which sees
    /// only this module).
    public typealias Layout = SynthLayout

    public struct Options: Sendable {
        /// `celeba`, `aflw-r`, `aflw-m` or `300w`; nil = no tree (previews show 100×100 network-frame faces).
        public var layout: String?
        public var output: String?
        public var count: Int
        public var seed: UInt64
        public var identities: Int?
        public var overwrite: Bool
        public var threads: Int
        /// A PNG contact sheet with the layout's own landmarks (5, or 68 for 300-W), read back from
        /// the written files when a tree was written.
        public var preview: String?
        /// A PNG contact sheet of the same faces with all 68 ground-truth points.
        public var preview68: String?
        /// Render this many 100×100 faces on one thread and report images per second.
        public var benchmark: Int?

        public init(layout: String?, output: String?, count: Int, seed: UInt64, identities: Int?, overwrite: Bool,
                    threads: Int, preview: String?, preview68: String?, benchmark: Int?) {
            self.layout = layout; self.output = output; self.count = count; self.seed = seed
            self.identities = identities; self.overwrite = overwrite; self.threads = threads
            self.preview = preview; self.preview68 = preview68; self.benchmark = benchmark
        }
    }

    public enum Failure: Error, CustomStringConvertible {
        case invalid(String)
        case layout(SynthLayoutError)
        case synth(SynthFacesError)
        case image(ImageIOError)

        public var description: String {
            switch self {
            case .invalid(let message): message
            case .layout(let error): error.description
            case .synth(let error): error.description
            case .image(let error): error.description
            }
        }
    }

    /// The preview grid: 8 columns × 6 rows.
    public static let previewColumns = 8, previewRows = 6

    /// Runs the options and returns the lines to print. `progress` gets (images done, total).
    public static func run(_ options: Options, progress: (@Sendable (Int, Int) -> Void)? = nil) throws(Failure) -> [String] {
        var lines: [String] = []
        if let n = options.benchmark {
            guard n >= 1 else { throw .invalid("--benchmark needs at least 1 image") }
            lines.append(try benchmark(images: n, seed: options.seed))
        }
        var cells5: [SynthContactSheet.Cell] = [], cells68: [SynthContactSheet.Cell] = []
        var points: SynthContactSheet.Points = .five
        if let name = options.layout {
            guard let layout = SynthLayout(rawValue: name) else {
                throw .invalid("unknown layout \(name); use one of \(SynthLayout.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard let output = options.output else { throw .invalid("--layout needs --out DIR") }
            let start = Date()
            let summary: SynthTreeSummary
            do {
                let tree = try SynthTree(layout: layout, count: options.count, seed: options.seed, identities: options.identities)
                summary = try tree.write(to: output, overwrite: options.overwrite, threads: options.threads, progress: progress)
            } catch { throw .layout(error) }
            let seconds = Date().timeIntervalSince(start)
            lines += describe(summary, seconds: seconds)
            points = layout == .threeHundredW ? .sixtyEight : .five
            for item in summary.items.prefix(previewColumns * previewRows) where options.preview != nil || options.preview68 != nil {
                let image: RGBImage
                do { image = try ImageCodec.decodeFile(atPath: summary.root + "/" + item.path) } catch { throw .image(error) }
                cells5.append(.init(image: image, landmarks: item.annotated))
                cells68.append(.init(image: image, landmarks: item.landmarks68))
            }
        } else if options.output != nil {
            throw .invalid("--out needs --layout (celeba, aflw-r, aflw-m or 300w)")
        } else if options.preview != nil || options.preview68 != nil {
            do {
                let faces = try SynthFaces(seed: options.seed, identities: max(2, previewColumns * previewRows / 2),
                                           imagesPerIdentity: 2)
                for index in 0..<previewColumns * previewRows {
                    let face = try faces.render(index: index)
                    cells5.append(.init(image: face.image, landmarks: face.landmarks5))
                    cells68.append(.init(image: face.image, landmarks: face.landmarks68))
                }
            } catch { throw .synth(error) }
        }
        let largest = cells5.map { max($0.image.width, $0.image.height) }.max() ?? 100
        let scale = max(1, 240 / largest)
        for (path, cells, kind) in [(options.preview, cells5, points), (options.preview68, cells68, .sixtyEight)] {
            guard let path else { continue }
            let sheet = SynthContactSheet.make(cells, columns: previewColumns, points: kind, scale: scale)
            do { try ImageCodec.write(sheet, toPath: path) } catch { throw .image(error) }
            lines.append("wrote contact sheet \(path) (\(cells.count) faces, \(kind == .five ? 5 : 68)-point landmarks, \(sheet.width)×\(sheet.height))")
        }
        if lines.isEmpty { throw .invalid("nothing to do: give --layout and --out, --preview, --preview-68 or --benchmark") }
        return lines
    }

    /// Renders `images` 100×100 faces on the calling thread (pixels only, no encoding) and reports
    /// the rate — the generator's cost without JPEG or disk — both per wall-clock second and per
    /// second of this thread's CPU time (the honest single-core figure on a shared machine).
    public static func benchmark(images: Int, seed: UInt64) throws(Failure) -> String {
        do {
            let faces = try SynthFaces(seed: seed, identities: max(1, images / 4), imagesPerIdentity: 4)
            _ = try faces.render(index: 0)   // warm up
            let n = min(images, faces.count)
            let wallStart = DispatchTime.now().uptimeNanoseconds, cpuStart = threadCPUSeconds()
            var checksum = 0
            for index in 0..<n {
                checksum &+= Int(try faces.render(index: index).image.pixels[5050])
            }
            let cpu = threadCPUSeconds() - cpuStart
            let wall = Double(DispatchTime.now().uptimeNanoseconds - wallStart) / 1e9
            return String(format: "rendered %d faces at 100×100 on one thread: %.0f images/s of CPU time (%.3f s), "
                          + "%.0f images/s wall-clock (%.3f s); checksum %d",
                          n, Double(n) / max(cpu, 1e-9), cpu, Double(n) / max(wall, 1e-9), wall, checksum)
        } catch { throw .synth(error) }
    }

    /// CPU time consumed by the calling thread.
    static func threadCPUSeconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    static func describe(_ summary: SynthTreeSummary, seconds: Double) -> [String] {
        var counts: [String: Int] = [:], order: [String] = []
        for item in summary.items {
            let key = summary.layout == .threeHundredW ? "\(item.split) \(item.group)" : item.split
            if counts[key] == nil { order.append(key) }
            counts[key, default: 0] += 1
        }
        let images = summary.imageFiles.count
        return [
            "wrote \(summary.layout) tree \(summary.root): \(summary.items.count) items (\(images) image files), "
                + "\(summary.identities) identities, seed \(summary.seed), "
                + String(format: "%.1f s (%.0f images/s)", seconds, Double(images) / max(seconds, 1e-9)),
            "  splits: " + order.map { "\($0) \(counts[$0] ?? 0)" }.joined(separator: ", "),
            "  annotation files: " + summary.annotationFiles.filter { !$0.hasSuffix(".pts") }.joined(separator: ", ")
                + (summary.layout == .threeHundredW ? " + \(summary.items.count) .pts" : ""),
        ]
    }
}
