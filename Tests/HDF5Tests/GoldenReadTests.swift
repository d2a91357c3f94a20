import Testing
import HDF5

/// Reads the real golden files, checking the facts documented in their README.
@Suite struct GoldenReadTests {
    @Test func smallnetWeightsAndScalars() throws {
        let file = try HDF5File.open(Fixtures.path("smallnet.h5"))
        defer { file.close() }

        let weight = try file.root.dataset("c16/weights/conv1.0.weight")
        #expect(weight.path == "/c16/weights/conv1.0.weight")
        #expect(weight.shape == [20, 3, 5, 5])
        #expect(weight.elementType == .float32)
        let values = try weight.readFloat32()
        #expect(values.count == 20 * 3 * 5 * 5)
        #expect(values.contains { $0 != 0 })
        #expect(try weight.readFloat64() == values.map(Double.init))

        let parameters = try file.root.dataset("/c16/num_parameters")
        #expect(parameters.shape == [])
        #expect(parameters.elementType == .int64)
        #expect(try parameters.readInt64() == [338_216])

        let tracked = try file.root.group("c16").dataset("weights/conv1.1.num_batches_tracked")
        #expect(tracked.shape == [])
        #expect(try tracked.readInt64() == [0])
    }

    @Test func smallnetStringsGroupsAndAttributes() throws {
        let file = try HDF5File.open(Fixtures.path("smallnet.h5"))
        defer { file.close() }

        let keys = try file.root.dataset("c16/state_dict_keys")
        #expect(keys.elementType == .fixedString(length: 27))
        let names = try keys.readStrings()
        #expect(names.count == 37)
        #expect(names.first == "conv1.0.weight")
        #expect(names.allSatisfy { !$0.contains("\0") })

        let c16 = try file.root.group("c16")
        #expect(try c16.attribute("num_output_channels") == .int64([16], shape: []))
        #expect(try c16.attribute("num_output_channels").intValue == 16)
        #expect(try c16.attribute("num_parameters").intValue == 338_216)
        #expect(try file.root.attributeNames() == ["layout", "reference"])
        #expect(try file.root.attribute("layout").stringValue == "NCHW float32")
        #expect(try file.root.attribute("reference").stringValue?.hasPrefix("model/smallnet.py SmallNet") == true)

        let weights = try c16.group("weights")
        let children = try weights.childNames()
        #expect(children.count == 37)
        #expect(Set(children) == Set(names))
        #expect(children == children.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
        #expect(try weights.datasetNames().count == 37)
        #expect(try weights.groupNames().isEmpty)
        #expect(try file.root.groupNames() == ["c16", "c3", "c64"])
        #expect(try file.root.datasetNames() == ["x"])

        #expect(weights.contains("conv1.0.weight"))
        #expect(file.root.contains("c16/weights/conv1.1.running_var"))
        #expect(!file.root.contains("c16/weights/conv1.0"))
        #expect(!file.root.contains("c16/weights/conv1.0.weight/deeper"))
        #expect(!file.root.contains("nope/weights"))
        #expect(try file.root.kind(of: "c16") == .group)
        #expect(try file.root.kind(of: "x") == .dataset)
    }

    @Test func uint8AndFloat64Datasets() throws {
        let tps = try HDF5File.open(Fixtures.path("tps.h5"))
        let image = try tps.root.dataset("align_corners_true/data_uint8")
        #expect(image.elementType == .uint8)
        #expect(image.shape == [2, 3, 70, 70])
        let pixels = try image.readUInt8()
        #expect(pixels.count == 2 * 3 * 70 * 70)
        #expect(Set(pixels).count > 10)
        #expect(try image.readInt64() == pixels.map(Int64.init))
        #expect(try image.attribute("num_values_within_1e-3_of_an_integer_boundary").intValue == 189)

        let matching = try HDF5File.open(Fixtures.path("matching.h5"))
        let error = try matching.root.dataset("smallnet_protocol/mean_same_err")
        #expect(error.shape == [])
        #expect(error.elementType == .float64)
        let value = try error.readFloat64()
        #expect(value.count == 1)
        #expect(abs(value[0] - 5.93579) < 1e-5)
    }

    @Test func arrayAndBooleanAttributes() throws {
        let optim = try HDF5File.open(Fixtures.path("optim.h5"))
        #expect(try optim.root.attribute("betas") == .float64([0.9, 0.999], shape: [2]))

        let hourglass = try HDF5File.open(Fixtures.path("hourglass.h5"))
        #expect(try hourglass.root.group("debug/hg0").attribute("shape").int64Array == [1, 256, 48, 48])

        let expected = try HDF5File.open(Fixtures.path("checkpoints/expected.h5"))
        let group = try expected.root.group("legacy/optimizer/param_groups/0")
        let amsgrad = try group.attribute("amsgrad")
        #expect(amsgrad == .uint8([1], shape: []))
        #expect(amsgrad.boolValue == true)
        #expect(try group.attribute("weight_decay").doubleValue == 0)
        #expect(try group.attribute("lr").doubleValue == 0.001)
        #expect(try group.dataset("key_order").readStrings().count == 7)
    }
}
