import Foundation
import Testing
import HDF5

/// Writing: every dataset and attribute kind reads back equal, and files only
/// appear at their final path once complete.
@Suite struct RoundTripTests {
    @Test func everyKindRoundTrips() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("result.h5")

        let attributes: [String: HDF5Value] = [
            "count": .int64(7),
            "counts": .int64([1, 2, 3]),
            "grid": .int64([1, 2, 3, 4, 5, 6], shape: [2, 3]),
            "scale": .float64(0.125),
            "betas": .float64([0.9, 0.999]),
            "half": .float32(0.5),
            "flag": .bool(true),
            "name": .string("SmallNet"),
            "empty": .string(""),
            "keys": .strings(["a", "bb", "conv1.0.weight"]),
        ]

        try HDF5File.write(to: path) { root in
            #expect(!FileManager.default.fileExists(atPath: path), "final path must not exist before commit")
            #expect(try directory.contents().count == 1, "only the hidden temporary file exists while writing")
            for (name, value) in attributes { try root.setAttribute(name, value) }
            let nested = try root.createGroup("run/c16")
            try nested.write("weights/conv1.0.weight", float32: [1.5, -2, 3.25, .infinity, -0.0, 7], shape: [2, 3])
            try nested.write("loss", float64: [0.1], shape: [])
            try nested.write("steps", int64: [Int64.min, -1, 0, Int64.max], shape: [4])
            try nested.write("mask", uint8: [0, 1, 255], shape: [3])
            try nested.write("empty", float32: [], shape: [0, 4])
            let keys = try root.write("keys", strings: ["x", "", "conv1.0.weight", "abc"], shape: [2, 2])
            for (name, value) in attributes { try keys.setAttribute(name, value) }
            try keys.setAttribute("count", .int64(8))   // replacing is allowed
            try root.write("blank", strings: [""], shape: [])
        }
        #expect(try directory.contents() == ["result.h5"])

        let file = try HDF5File.open(path)
        defer { file.close() }
        #expect(try file.root.groupNames() == ["run"])
        #expect(try file.root.datasetNames() == ["blank", "keys"])
        for (name, value) in attributes {
            #expect(try file.root.attribute(name) == value, "root attribute \(name)")
        }
        #expect(try file.root.attributeNames() == attributes.keys.sorted())

        let c16 = try file.root.group("run/c16")
        let weight = try c16.dataset("weights/conv1.0.weight")
        #expect(weight.shape == [2, 3])
        #expect(weight.elementType == .float32)
        let floats = try weight.readFloat32()
        #expect(floats.map(\.bitPattern) == [1.5, -2, 3.25, Float.infinity, -0.0, 7].map(\.bitPattern))
        #expect(try c16.dataset("loss").readFloat64() == [0.1])
        #expect(try c16.dataset("loss").shape == [])
        #expect(try c16.dataset("steps").readInt64() == [Int64.min, -1, 0, Int64.max])
        #expect(try c16.dataset("mask").readUInt8() == [0, 1, 255])
        #expect(try c16.dataset("empty").shape == [0, 4])
        #expect(try c16.dataset("empty").readFloat32() == [])

        let keys = try file.root.dataset("keys")
        #expect(keys.shape == [2, 2])
        #expect(keys.elementType == .fixedString(length: 14))
        #expect(try keys.readStrings() == ["x", "", "conv1.0.weight", "abc"])
        #expect(try keys.attribute("count") == .int64(8))
        #expect(try keys.attribute("keys") == .strings(["a", "bb", "conv1.0.weight"]))
        #expect(try keys.attribute("flag").boolValue == true)
        #expect(try file.root.dataset("blank").elementType == .fixedString(length: 1))
        #expect(try file.root.dataset("blank").readStrings() == [""])
    }

    @Test func throwingBodyLeavesNothingBehind() throws {
        struct Abort: Error {}
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("result.h5")
        #expect(throws: Abort.self) {
            try HDF5File.write(to: path) { root in
                try root.write("x", float32: [1, 2], shape: [2])
                throw Abort()
            }
        }
        #expect(try directory.contents().isEmpty)

        // An HDF5 error inside the body is rethrown unchanged.
        #expect(throws: HDF5Error.self) {
            try HDF5File.write(to: path) { root in
                try root.write("x", float32: [1, 2, 3], shape: [2])
            }
        }
        #expect(try directory.contents().isEmpty)

        // Closing without commit discards.
        let file = try HDF5File.create(at: path)
        try file.root.write("x", int64: [1], shape: [])
        file.close()
        #expect(try directory.contents().isEmpty)
        #expect(throws: HDF5Error.fileClosed(file: path)) { try file.root.write("y", int64: [1], shape: []) }
    }

    @Test func commitReplacesAnExistingFileAtomically() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("result.h5")
        try HDF5File.write(to: path) { root in try root.setAttribute("version", .int64(1)) }

        let file = try HDF5File.create(at: path)
        try file.root.setAttribute("version", .int64(2))
        #expect(try HDF5File.open(path).root.attribute("version").intValue == 1, "old file visible until commit")
        try file.commit()
        #expect(try HDF5File.open(path).root.attribute("version").intValue == 2)
        #expect(try directory.contents() == ["result.h5"])
        #expect(throws: HDF5Error.fileClosed(file: path)) { try file.commit() }
    }

    @Test func writeMisuseIsReported() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("result.h5")
        try HDF5File.write(to: path) { root in
            try root.write("x", float32: [1], shape: [1])
            #expect(throws: HDF5Error.alreadyExists(HDF5Location(file: path, object: "/x"))) {
                try root.write("x", float32: [1], shape: [1])
            }
            #expect(throws: HDF5Error.alreadyExists(HDF5Location(file: path, object: "/x"))) {
                try root.createGroup("x")
            }
            do throws(HDF5Error) {
                try root.write("y", uint8: [1, 2, 3], shape: [2, 2])
                Issue.record("count mismatch accepted")
            } catch {
                guard case .invalidArgument(let location, _) = error else { throw error }
                #expect(location.object == "/y")
            }
            #expect(throws: HDF5Error.self) { try root.write("z", strings: ["a\0b"], shape: [1]) }
        }
        let nowhere = directory.path("no/such/dir/result.h5")
        #expect {
            try HDF5File.write(to: nowhere) { _ in }
        } throws: { error in
            guard case .cannotOpen(nowhere, .cannotCreate, let stack)? = error as? HDF5Error else { return false }
            return !stack.isEmpty
        }

        let file = try HDF5File.open(path)
        #expect(throws: HDF5Error.readOnly(file: path)) { try file.root.write("y", float32: [1], shape: [1]) }
        #expect(throws: HDF5Error.readOnly(file: path)) { try file.root.setAttribute("a", .int64(1)) }
    }
}
