import Foundation
import ImageIO
import Synchronization
import Tensors

/// Writes a SynthFaces dataset as a directory tree in one of the real layouts, so the real loaders
/// (and the reference implementation) read it unchanged.
///
/// The tree appears atomically: everything is written into a hidden sibling directory
/// `.<name>.synth-XXXXXX` and renamed onto `root` at the end, so a reader never sees half a
/// dataset and a failed run leaves nothing behind. Output is a function of (layout, count, seed,
/// identities) only — not of the thread count.
public struct SynthTree: Sendable {
    public let layout: SynthLayout
    public let count: Int
    public let seed: UInt64
    /// The people in the tree. Item `i` of the layout's plan is SynthFaces item `i`, so consecutive
    /// items are different people (for CelebA, the count is nudged so that it does not divide 10:
    /// the MAFL test items sit 10 ids apart and must alternate people too).
    public let identities: Int
    public let faces: SynthFaces

    /// - Parameters:
    ///   - count: images in the tree, at least `layout.minimumCount`.
    ///   - identities: people to spread them over; default ⌈count / 4⌉ (at least 2).
    /// - Throws: `.countTooSmall`, `.invalidOption` (identities < 1).
    public init(layout: SynthLayout, count: Int, seed: UInt64 = 0, identities: Int? = nil) throws(SynthLayoutError) {
        guard count >= layout.minimumCount else {
            throw .countTooSmall(layout: layout, count: count, minimum: layout.minimumCount)
        }
        guard count <= 10_000_000 else { throw .invalidOption("--count \(count) is more than 10 000 000") }
        var people = identities ?? max(2, (count + 3) / 4)
        guard people >= 1 else { throw .invalidOption("--identities must be at least 1 (got \(people))") }
        if layout == .celeba, people > 1, 10 % people == 0 { people += 1 }
        self.layout = layout
        self.count = count
        self.seed = seed
        self.identities = people
        do {
            faces = try SynthFaces(seed: seed, identities: people, imagesPerIdentity: (count + people - 1) / people,
                                   framing: SynthFraming.square(100))
        } catch { throw .synth(error) }
    }

    /// The images to render, in the layout's item order (copies included).
    func jobs() -> [SynthImageJob] {
        switch layout {
        case .celeba: celebAJobs()
        case .aflwR: aflwRJobs()
        case .aflwM: aflwMJobs()
        case .threeHundredW: threeHundredWJobs()
        }
    }

    /// Every job with the annotations `render` would give it, without drawing a pixel.
    func annotatedJobs() throws(SynthLayoutError) -> [SynthRendered] {
        var out: [SynthRendered] = []
        for job in jobs() {
            let face: SynthFaceAnnotation
            do throws(SynthFacesError) { face = try faces.annotation(index: job.index, framing: job.framing) } catch {
                throw .synth(error)
            }
            out.append(SynthRendered(job: job, landmarks5: face.landmarks5, landmarks68: face.landmarks68,
                                     identity: face.identity, attributes: face.attributes))
        }
        return out
    }

    func annotations(_ rendered: [SynthRendered]) throws(SynthLayoutError) -> SynthAnnotations {
        switch layout {
        case .celeba: celebAAnnotations(rendered)
        case .aflwR: try aflwRAnnotations(rendered)
        case .aflwM: aflwMAnnotations(rendered)
        case .threeHundredW: try threeHundredWAnnotations(rendered)
        }
    }

    /// Renders and writes the tree at `root` (the folder the reference configs name, e.g.
    /// `data/celeba`), creating its parent directories.
    ///
    /// - Parameters:
    ///   - overwrite: replace an existing non-empty `root` (otherwise `.outputExists`).
    ///   - threads: workers rendering and encoding images in parallel.
    ///   - progress: called with (images done, total) from worker threads.
    public func write(to root: String, overwrite: Bool = false, threads: Int = 1,
                      progress: (@Sendable (Int, Int) -> Void)? = nil) throws(SynthLayoutError) -> SynthTreeSummary {
        let target = SynthTreeFiles.normalise(root)
        if SynthTreeFiles.isNonEmptyDirectoryOrFile(target) && !overwrite { throw .outputExists(path: target) }
        let staging = try SynthTreeFiles.makeStaging(for: target)
        do throws(SynthLayoutError) {
            let jobs = jobs()
            let rendered = try render(jobs, into: staging, threads: threads, progress: progress)
            let notes = try annotations(rendered)
            for file in notes.files {
                if let slash = file.path.lastIndex(of: "/") {
                    try SynthTreeFiles.makeDirectory(staging + "/" + file.path[..<slash])
                }
                try SynthTreeFiles.write(file.bytes, to: staging + "/" + file.path)
            }
            try SynthTreeFiles.write(Array(provenance.utf8), to: staging + "/" + SynthTreeFiles.provenanceFile)
            try SynthTreeFiles.commit(staging: staging, to: target, overwrite: overwrite)
            var images: [String] = []
            for job in jobs { images.append(job.path); images += job.copies.map(\.path) }
            return SynthTreeSummary(root: target, layout: layout, seed: seed, identities: identities, items: notes.items,
                                    annotationFiles: notes.files.map(\.path), imageFiles: images)
        } catch {
            SynthTreeFiles.remove(staging)
            throw error
        }
    }

    /// `SYNTHFACES.txt` at the root: not part of any real layout (no reference loader looks at it);
    /// it records how the tree was made.
    var provenance: String {
        """
        Synthetic dataset written by `dvebench synth` (SynthFaces procedural faces, not real people).
        layout: \(layout.rawValue)
        count: \(count)
        seed: \(seed)
        identities: \(identities)
        item i is SynthFaces item i (identity i mod \(identities)); landmarks are exact ground truth.

        """
    }

    private func render(_ jobs: [SynthImageJob], into staging: String, threads: Int,
                        progress: (@Sendable (Int, Int) -> Void)?) throws(SynthLayoutError) -> [SynthRendered] {
        var directories = Set<String>()
        for job in jobs {
            for path in [job.path] + job.copies.map(\.path) {
                if let slash = path.lastIndex(of: "/") { directories.insert(String(path[..<slash])) }
            }
        }
        for directory in directories.sorted() { try SynthTreeFiles.makeDirectory(staging + "/" + directory) }

        struct State {
            var results: [SynthRendered?]
            var error: SynthLayoutError?
            var done = 0
        }
        let state = Mutex(State(results: Array(repeating: nil, count: jobs.count)))
        let faces = self.faces
        ParallelWork.chunks(total: jobs.count, workers: max(1, threads)) { _, range in
            for i in range {
                if state.withLock({ $0.error != nil }) { return }
                let job = jobs[i]
                do throws(SynthLayoutError) {
                    let face: SynthFace
                    do throws(SynthFacesError) {
                        face = try faces.render(index: job.index, framing: job.framing)
                    } catch { throw .synth(error) }
                    for (path, quality) in [(job.path, job.quality)] + job.copies.map({ ($0.path, $0.quality) }) {
                        try SynthTreeFiles.writeImage(face.image, to: staging + "/" + path, jpegQuality: quality)
                    }
                    let result = SynthRendered(job: job, landmarks5: face.landmarks5, landmarks68: face.landmarks68,
                                               identity: face.identity, attributes: face.attributes)
                    let done = state.withLock { s -> Int in
                        s.results[i] = result
                        s.done += 1
                        return s.done
                    }
                    progress?(done, jobs.count)
                } catch {
                    state.withLock { s in if s.error == nil { s.error = error } }
                    return
                }
            }
        }
        let final = state.withLock { s in (s.results, s.error) }
        if let error = final.1 { throw error }
        return final.0.compactMap { $0 }
    }
}

/// File-system steps of `SynthTree.write`, with errors that name the path.
enum SynthTreeFiles {
    static let provenanceFile = "SYNTHFACES.txt"

    static func normalise(_ root: String) -> String {
        var path = root
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        return path
    }

    static func isNonEmptyDirectoryOrFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return false }
        guard isDirectory.boolValue else { return true }
        return !((try? FileManager.default.contentsOfDirectory(atPath: path))?.isEmpty ?? false)
    }

    /// A fresh hidden directory next to `target` (same file system, so the final rename is atomic).
    static func makeStaging(for target: String) throws(SynthLayoutError) -> String {
        let url = URL(fileURLWithPath: target)
        let parent = url.deletingLastPathComponent().path
        try makeDirectory(parent)
        var template = Array("\(parent)/.\(url.lastPathComponent).synth-XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw .fileSystem(path: parent, reason: "cannot create a staging directory: \(String(cString: strerror(errno)))")
        }
        return template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    static func makeDirectory(_ path: String) throws(SynthLayoutError) {
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw .fileSystem(path: path, reason: error.localizedDescription)
        }
    }

    static func write(_ bytes: [UInt8], to path: String) throws(SynthLayoutError) {
        do { try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw .annotation(path: path, reason: error.localizedDescription)
        }
    }

    /// Encodes by extension (`.png` lossless, else JPEG 4:2:0 — Pillow's default subsampling, as
    /// the real datasets have) and writes without the per-file fsync of `ImageCodec.write`: files
    /// inside the staging directory are invisible until the final rename anyway, and thousands of
    /// fsyncs made writing a tree I/O-bound.
    static func writeImage(_ image: RGBImage, to path: String, jpegQuality: Int) throws(SynthLayoutError) {
        let bytes: [UInt8]
        do throws(ImageIOError) { bytes = try encodeImage(image, path: path, jpegQuality: jpegQuality) } catch {
            throw .image(error)
        }
        do { try Data(bytes).write(to: URL(fileURLWithPath: path)) } catch {
            throw .fileSystem(path: path, reason: error.localizedDescription)
        }
    }

    /// The bytes `writeImage` puts in a file (also what `SynthTree.dataset` decodes, never writing).
    static func encodeImage(_ image: RGBImage, path: String, jpegQuality: Int) throws(ImageIOError) -> [UInt8] {
        path.lowercased().hasSuffix(".png")
            ? try ImageCodec.encodePNG(image, destination: path)
            : try ImageCodec.encodeJPEG(image, quality: jpegQuality, subsampling: .s420, destination: path)
    }

    static func remove(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

    /// Renames `staging` onto `target`. An existing empty directory is replaced by `rename(2)`
    /// itself; a non-empty one (with `overwrite`) is first moved aside, then deleted.
    static func commit(staging: String, to target: String, overwrite: Bool) throws(SynthLayoutError) {
        if rename(staging, target) == 0 { return }
        let code = errno
        guard overwrite, code == ENOTEMPTY || code == EEXIST || code == ENOTDIR || code == EISDIR else {
            throw code == ENOTEMPTY || code == EEXIST
                ? .outputExists(path: target)
                : .fileSystem(path: target, reason: "cannot move the finished tree into place: \(String(cString: strerror(code)))")
        }
        let aside = staging + ".old"
        guard rename(target, aside) == 0 else {
            throw .fileSystem(path: target, reason: "cannot move the old tree aside: \(String(cString: strerror(errno)))")
        }
        guard rename(staging, target) == 0 else {
            let reason = String(cString: strerror(errno))
            _ = rename(aside, target)
            throw .fileSystem(path: target, reason: "cannot move the finished tree into place: \(reason)")
        }
        remove(aside)
    }
}
