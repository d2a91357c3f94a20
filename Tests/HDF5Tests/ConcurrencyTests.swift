import Foundation
import Testing
import HDF5

/// libhdf5 is built serial (not thread-safe); the module's lock must make
/// concurrent use from many threads safe and correct.
@Suite struct ConcurrencyTests {
    @Test func concurrentReadsFromTwoFiles() throws {
        let smallnet = try HDF5File.open(Fixtures.path("smallnet.h5"))
        let tps = try HDF5File.open(Fixtures.path("tps.h5"))
        let weightNames = try smallnet.root.group("c16/weights").datasetNames()
        let expectedWeights = try weightNames.map { try smallnet.root.dataset("c16/weights/\($0)").readFloat64() }
        let expectedPixels = try tps.root.dataset("align_corners_true/data_uint8").readUInt8()

        let failures = FailureLog()
        DispatchQueue.concurrentPerform(iterations: 32) { iteration in
            do {
                if iteration.isMultiple(of: 2) {
                    let index = iteration % weightNames.count
                    let values = try smallnet.root.dataset("c16/weights/\(weightNames[index])").readFloat64()
                    if values != expectedWeights[index] { failures.add("weights \(weightNames[index]) differ") }
                    _ = try smallnet.root.group("c16").attribute("num_parameters")
                } else {
                    let pixels = try tps.root.dataset("align_corners_true/data_uint8").readUInt8()
                    if pixels != expectedPixels { failures.add("pixels differ") }
                    _ = try tps.root.childNames()
                }
                // Files opened and dropped on worker threads exercise open/close under the lock too.
                let extra = try HDF5File.open(Fixtures.path("optim.h5"))
                _ = try extra.root.attribute("betas")
            } catch {
                failures.add("\(error)")
            }
        }
        #expect(failures.messages.isEmpty, "\(failures.messages)")
    }
}

/// Collects failures from worker threads.
private final class FailureLog: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func add(_ message: String) { lock.withLock { list.append(message) } }
    var messages: [String] { lock.withLock { list } }
}
