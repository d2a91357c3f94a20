import Foundation
import Testing
@testable import HDF5

/// Debian's libhdf5 is built thread-safe, which makes the auto-print setting
/// per thread; every thread that calls into the module must be silenced.
@Suite struct ErrorPrintingTests {
    @Test func autoPrintIsOffOnEveryThread() async throws {
        let file = try HDF5File.open(Fixtures.path("smallnet.h5"))
        for _ in 0..<3 {
            let silenced = await withCheckedContinuation { continuation in
                let thread = Thread {
                    _ = file.root.contains("no/such/object")   // a failing probe inside HDF5
                    continuation.resume(returning: HDF5Library.errorPrintingIsOffOnThisThread())
                }
                thread.start()
            }
            #expect(silenced)
        }
    }
}

/// The golden files only hold fixed-length strings, but files from other
/// tools (h5py's default for `str`) use variable-length ones.
@Suite struct VariableLengthStringTests {
    @Test func variableLengthStringsRead() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("vlen.h5")
        let values = ["conv1.0.weight", "", "größe", "a longer string than the others"]
        try HDF5File.write(to: path) { root in
            try root.writeVariableLengthStrings("names", values, shape: [2, 2])
        }
        let dataset = try HDF5File.open(path).root.dataset("names")
        #expect(dataset.elementType == .variableString)
        #expect(dataset.shape == [2, 2])
        #expect(try dataset.readStrings() == values)
        #expect(throws: HDF5Error.self) { try dataset.readFloat64() }
    }
}
