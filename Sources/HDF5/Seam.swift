internal import CHDF5
internal import Foundation

/// The single gate to libhdf5.
///
/// HDF5 builds are not thread-safe in general (Homebrew's and the upstream
/// default are not), so the library's global state (ID tables, caches) must
/// never be touched by two threads at once. Every C call in this module runs
/// inside `run`, which holds one process-wide lock. The lock is recursive so
/// that a deinit which closes a file can never deadlock if it happens to run
/// inside a locked region (e.g. the last reference dropping mid-read).
///
/// Debian's `hdf5-serial` happens to be built with `--enable-threadsafe`,
/// which makes the error stack and its auto-print setting *per thread*. So
/// printing is switched off on every entry, not once: otherwise each new
/// thread would print HDF5's stack dumps to stderr again.
public enum HDF5Library {
    private static let lock = NSRecursiveLock()

    /// Runs `body` with the lock held and HDF5's stderr error printing off.
    static func run<T>(_ body: () throws(HDF5Error) -> T) throws(HDF5Error) -> T {
        lock.lock()
        defer { lock.unlock() }
        prepareThread()
        return try body()
    }

    /// For code that cannot fail (closing, cleanup in deinit).
    static func runQuietly(_ body: () -> Void) {
        lock.lock()
        defer { lock.unlock() }
        prepareThread()
        body()
        H5Eclear2(dve_h5e_default())
    }

    /// Opens the library if needed and silences this thread's error printing:
    /// probes that may fail (H5Lexists on a missing path, opening a truncated
    /// file) would otherwise spray stack dumps; failures are reported through
    /// `takeErrorStack()` instead.
    private static func prepareThread() {
        _ = initialized
        _ = dve_h5_silence_errors()
    }

    /// Without its exit handler, a file whose close failed (a full disk, a file-size limit) cannot
    /// take the process down at exit: libhdf5's handler retries that close and crashed doing so.
    /// Every file is closed or discarded explicitly, so the handler has nothing else to do.
    private static let initialized: Void = {
        H5dont_atexit()
        H5open()
    }()

    /// Hands the blocks libhdf5 keeps on its free lists back to the allocator. For a leak check that
    /// compares allocations with frees (the HDF5 fuzz target's workers), blocks parked on those lists
    /// would otherwise look outstanding after every read.
    public static func releaseFreeLists() {
        runQuietly { _ = H5garbage_collect() }
    }

    /// Whether automatic error printing is off for the calling thread, without
    /// switching it off first. Lets tests catch a regression to "once per process".
    static func errorPrintingIsOffOnThisThread() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        var function: H5E_auto2_t?
        var data: UnsafeMutableRawPointer?
        guard H5Eget_auto2(dve_h5e_default(), &function, &data) >= 0 else { return false }
        return function == nil
    }

    /// Collects HDF5's current error stack, innermost frame (the root cause)
    /// first and the API call last, and clears it. Call with the lock held,
    /// right after the failing call, on the same thread.
    static func takeErrorStack() -> HDF5ErrorStack {
        final class Collector { var frames: [HDF5ErrorStack.Frame] = [] }
        let collector = Collector()
        let walker: H5E_walk2_t = { _, frame, context in
            guard let frame, let context else { return 0 }
            let collector = Unmanaged<Collector>.fromOpaque(context).takeUnretainedValue()
            let function = frame.pointee.func_name.map { String(cString: $0) } ?? "?"
            let description = frame.pointee.desc.map { String(cString: $0) } ?? ""
            var buffer = [CChar](repeating: 0, count: 256)
            let length = H5Eget_msg(frame.pointee.min_num, nil, &buffer, buffer.count)
            let message = length > 0 ? String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
            collector.frames.append(.init(function: function, description: description, message: message))
            return 0
        }
        withExtendedLifetime(collector) {
            _ = H5Ewalk2(dve_h5e_default(), H5E_WALK_UPWARD, walker,
                         Unmanaged.passUnretained(collector).toOpaque())
        }
        H5Eclear2(dve_h5e_default())
        return HDF5ErrorStack(frames: collector.frames)
    }

    /// Discards the error stack of a call that was allowed to fail.
    static func clearErrorStack() {
        H5Eclear2(dve_h5e_default())
    }
}

/// An owned HDF5 identifier that is released when it goes out of scope.
///
/// Non-copyable so an ID cannot outlive the locked region that created it
/// by accident or be closed twice. `H5Idec_ref` closes any kind of ID.
struct OwnedID: ~Copyable {
    let raw: hid_t

    /// Wraps `raw` or throws `failure(stack)` when it is negative.
    init(_ raw: hid_t, or failure: (HDF5ErrorStack) -> HDF5Error) throws(HDF5Error) {
        guard raw >= 0 else { throw failure(HDF5Library.takeErrorStack()) }
        self.raw = raw
    }

    deinit {
        H5Idec_ref(raw)
    }
}

/// Throws `failure(stack)` when an `herr_t`/`htri_t` status reports an error.
func check(_ status: Int32, or failure: (HDF5ErrorStack) -> HDF5Error) throws(HDF5Error) {
    if status < 0 { throw failure(HDF5Library.takeErrorStack()) }
}

/// Reads the extent of a dataspace. `[]` is a scalar; a null dataspace
/// (no elements at all) is reported as `[0]` so element counts stay right.
func dataspaceShape(_ space: hid_t, or failure: (HDF5ErrorStack) -> HDF5Error) throws(HDF5Error) -> [Int] {
    let kind = H5Sget_simple_extent_type(space)
    switch kind {
    case H5S_SCALAR: return []
    case H5S_NULL: return [0]
    case H5S_SIMPLE: break
    default: throw failure(HDF5Library.takeErrorStack())
    }
    let rank = H5Sget_simple_extent_ndims(space)
    guard rank >= 0 else { throw failure(HDF5Library.takeErrorStack()) }
    var dims = [hsize_t](repeating: 0, count: Int(rank))
    guard H5Sget_simple_extent_dims(space, &dims, nil) >= 0 else {
        throw failure(HDF5Library.takeErrorStack())
    }
    return dims.map { Int($0) }
}

/// Creates a dataspace for a row-major array of `shape`; `[]` is a scalar.
func makeDataspace(_ shape: [Int], or failure: (HDF5ErrorStack) -> HDF5Error) throws(HDF5Error) -> OwnedID {
    if shape.isEmpty {
        return try OwnedID(H5Screate(H5S_SCALAR), or: failure)
    }
    let dims = shape.map { hsize_t($0) }
    return try OwnedID(H5Screate_simple(Int32(dims.count), dims, nil), or: failure)
}

/// Number of elements in an array of `shape`, or nil for negative extents or overflow.
func elementCount(_ shape: [Int]) -> Int? {
    var count = 1
    for extent in shape {
        guard extent >= 0 else { return nil }
        let (product, overflow) = count.multipliedReportingOverflow(by: extent)
        guard !overflow else { return nil }
        count = product
    }
    return count
}

/// Object paths inside a file, normalised to "/a/b" form.
enum ObjectPath {
    /// Resolves `relative` against `base`. A leading "/" makes it absolute;
    /// empty and "." components are dropped. Dots inside names are ordinary
    /// characters ("conv1.0.weight" is one name).
    static func join(_ base: String, _ relative: String) -> String {
        let start = relative.hasPrefix("/") ? [] : components(base)
        return "/" + (start + components(relative)).joined(separator: "/")
    }

    static func components(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true)
            .map(String.init)
            .filter { $0 != "." }
    }
}
