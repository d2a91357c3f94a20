import Foundation
import Testing
import HDF5

/// Bad files and bad requests become typed errors naming file and object.
@Suite struct ErrorTests {
    @Test(arguments: [1_000, 100_000])
    func truncatedFileIsTypedError(bytes: Int) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let original = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("smallnet.h5")))
        let path = directory.path("truncated-\(bytes).h5")
        try original.prefix(bytes).write(to: URL(fileURLWithPath: path))

        do throws(HDF5Error) {
            let file = try HDF5File.open(path)
            // Should HDF5 ever open it lazily, reading must still fail cleanly.
            _ = try file.root.dataset("c16/weights/conv6.weight").readFloat32()
            Issue.record("truncated file read without error")
        } catch {
            #expect(error.description.contains(path))
            if case .cannotOpen(let file, let reason, let stack) = error {
                #expect(file == path)
                #expect(reason == .damaged)
                #expect(!stack.isEmpty)
                #expect(error.description.contains("HDF5 error stack"))
            }
        }
    }

    @Test func notHDF5AndMissingFiles() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let text = directory.path("notes.h5")
        try "just some text\n".write(toFile: text, atomically: true, encoding: .utf8)

        #expect {
            _ = try HDF5File.open(text)
        } throws: { error in
            guard case .cannotOpen(text, .notHDF5, _)? = error as? HDF5Error else { return false }
            return "\(error)".contains(text)
        }

        let missing = directory.path("missing.h5")
        #expect(throws: HDF5Error.cannotOpen(file: missing, reason: .missing, stack: HDF5ErrorStack())) {
            _ = try HDF5File.open(missing)
        }
        #expect(throws: HDF5Error.cannotOpen(file: directory.url.path, reason: .notARegularFile, stack: HDF5ErrorStack())) {
            _ = try HDF5File.open(directory.url.path)
        }
        let error = #expect(throws: HDF5Error.self) { try HDF5File.open(missing) }
        #expect(error?.description.contains(missing) == true)
    }

    @Test func objectErrorsNameThePath() throws {
        let path = Fixtures.path("smallnet.h5")
        let file = try HDF5File.open(path)
        let weights = try file.root.group("c16/weights")

        let missing = #expect(throws: HDF5Error.self) { try weights.dataset("conv9.0.weight") }
        #expect(missing == .objectNotFound(HDF5Location(file: path, object: "/c16/weights/conv9.0.weight")))
        #expect(missing?.description.contains("/c16/weights/conv9.0.weight") == true)
        #expect(missing?.description.contains(path) == true)

        #expect(throws: HDF5Error.wrongKind(HDF5Location(file: path, object: "/c16"), expected: .dataset, found: .group)) {
            try file.root.dataset("c16")
        }
        #expect(throws: HDF5Error.wrongKind(HDF5Location(file: path, object: "/x"), expected: .group, found: .dataset)) {
            try file.root.group("x")
        }
        #expect(throws: HDF5Error.objectNotFound(HDF5Location(file: path, object: "/x/y"))) {
            try file.root.group("x/y")
        }
        #expect(throws: HDF5Error.attributeNotFound(HDF5Location(file: path, object: "/c16", attribute: "nope"))) {
            try file.root.group("c16").attribute("nope")
        }
    }

    @Test func typeMismatchesAreTyped() throws {
        let path = Fixtures.path("smallnet.h5")
        let file = try HDF5File.open(path)
        let count = try file.root.dataset("c16/num_parameters")
        let location = HDF5Location(file: path, object: "/c16/num_parameters")

        let error = #expect(throws: HDF5Error.self) { try count.readFloat32() }
        #expect(error == .typeMismatch(location, found: .int64, requested: "float32"))
        #expect(error?.description.contains("int64") == true)
        #expect(error?.description.contains("float32") == true)
        #expect(try count.readFloat64() == [338_216])   // exact, so allowed

        let weight = try file.root.dataset("c16/weights/conv1.0.weight")
        #expect(throws: HDF5Error.self) { try weight.readInt64() }
        #expect(throws: HDF5Error.self) { try weight.readStrings() }
        #expect(throws: HDF5Error.self) { try file.root.dataset("c16/state_dict_keys").readFloat64() }
        #expect(throws: HDF5Error.shapeMismatch(HDF5Location(file: path, object: "/c16/weights/conv1.0.weight"),
                                                expected: [20, 3, 3, 3], found: [20, 3, 5, 5])) {
            try weight.requireShape([20, 3, 3, 3])
        }
        try weight.requireShape([20, 3, 5, 5])
    }

    @Test func outOfRangeIntegersAreRefused() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("ints.h5")
        try HDF5File.write(to: path) { root in
            try root.write("big", int64: [1 << 60], shape: [1])
            try root.write("small", int64: [0, 1, 255], shape: [3])
            try root.write("negative", int64: [-1], shape: [1])
        }
        let file = try HDF5File.open(path)
        #expect(throws: HDF5Error.self) { try file.root.dataset("big").readFloat64() }
        #expect(try file.root.dataset("small").readUInt8() == [0, 1, 255])
        #expect(try file.root.dataset("small").readFloat64() == [0, 1, 255])
        let error = #expect(throws: HDF5Error.self) { try file.root.dataset("negative").readUInt8() }
        guard case .valueOutOfRange(let location, _)? = error else {
            Issue.record("expected valueOutOfRange, got \(String(describing: error))")
            return
        }
        #expect(location.object == "/negative")
    }

    @Test func closedFileIsTypedError() throws {
        let path = Fixtures.path("matching.h5")
        let file = try HDF5File.open(path)
        let dataset = try file.root.dataset("smallnet_protocol/mean_same_err")
        file.close()
        file.close()
        #expect(throws: HDF5Error.fileClosed(file: path)) { try dataset.readFloat64() }
        #expect(!file.root.contains("smallnet_protocol"))
    }
}
