import Testing
@testable import TorchFormat

/// Python-compatible text: what `repr(float)` and `json.dumps` print, and LONG1 integers.
@Suite struct RenderingTests {
    @Test(arguments: [(1e-05, "1e-05"), (0.001, "0.001"), (0.0001, "0.0001"), (1.0, "1.0"), (100.0, "100.0"),
                      (0.1, "0.1"), (1e16, "1e+16"), (9007199254740992.0, "9007199254740992.0"), (-2.5e-07, "-2.5e-07"),
                      (0.999, "0.999"), (123456.789, "123456.789"), (1.5e300, "1.5e+300"), (-0.0, "-0.0"), (Double.leastNonzeroMagnitude, "5e-324")])
    func floatReprMatchesPython(_ value: Double, _ expected: String) {
        #expect(PythonText.floatRepr(value) == expected)
    }

    @Test func jsonDumpsStyle() {
        let value = PickleValue.dict(PickleDictionary(entries: [
            PickleEntry(key: .string("a"), value: .list([.int(1), .float(0.5), .bool(true), .none])),
            PickleEntry(key: .int(0), value: .float(.infinity)),
            PickleEntry(key: .string("é\"\n"), value: .tuple([.string("x")])),
        ]))
        #expect(value.pythonJSON() == #"{"a": [1, 0.5, true, null], "0": Infinity, "\u00e9\"\n": ["x"]}"#)
        let namespace = PickleValue.object(PickledObject(className: "argparse.Namespace", state: .dict(PickleDictionary(entries: [
            PickleEntry(key: .string("config"), value: .string("a.json")), PickleEntry(key: .string("resume"), value: .none)]))))
        #expect(namespace.pythonRepr() == "argparse.Namespace(config='a.json', resume=None)")
    }

    @Test func longIntegersBeyondInt64BecomeDecimalText() {
        let magic: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]
        guard case .bigInt(let digits) = BigInteger.item(twosComplementLittleEndian: magic) else { Issue.record("not big"); return }
        #expect(digits == "119547037146038801333356")
        guard case .int(let id) = BigInteger.item(twosComplementLittleEndian: [0x00, 0xF0, 0x29, 0x41, 0x40, 0x7F]) else { Issue.record("not int"); return }
        #expect(id == 0x7F40_4129_F000)
        guard case .int(let negative) = BigInteger.item(twosComplementLittleEndian: [0xFF]) else { Issue.record("not int"); return }
        #expect(negative == -1)
        guard case .bigInt(let minus) = BigInteger.item(twosComplementLittleEndian: [0, 0, 0, 0, 0, 0, 0, 0, 0x80]) else { Issue.record("not big"); return }
        #expect(minus == "-2361183241434822606848")
        guard case .int(let unsigned) = BigInteger.item(twosComplementLittleEndian: [1, 0, 0, 0, 0, 0, 0, 0, 0]) else { Issue.record("not int"); return }
        #expect(unsigned == 1)
    }

    @Test func halfPrecisionConvertsExactly() {
        #expect(halfToFloat(0x3C00) == 1)
        #expect(halfToFloat(0xC000) == -2)
        #expect(halfToFloat(0x0001) == Float(sign: .plus, exponent: -24, significand: 1))
        #expect(halfToFloat(0x7C00) == .infinity)
        #expect(halfToFloat(0x7E00).isNaN)
        #expect(halfToFloat(0x8000).sign == .minus)
    }
}
