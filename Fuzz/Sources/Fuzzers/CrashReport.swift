import Foundation

/// Who a sanitizer report blames, read from an unsymbolised report.
///
/// The HDF5 target's workers run with `symbolize=0`: symbolising a report means starting
/// llvm-symbolizer on this 50 MB binary's debug info, seconds per crash, and one input in eight
/// crashes libhdf5. An unsymbolised frame still names its module and offset
/// (`#2 0x7f… (/usr/lib/…/libhdf5_serial.so.103+0x1a5b2c)`), and frames inside this binary are
/// named here from its own ELF symbol table, which tells the sanitizer runtime and libFuzzer
/// (C and C++ names) from DVEBench's code (Swift's `$s` names and the `dve_` HDF5 shims).
enum CrashBlame: Equatable {
    /// The first frame outside the sanitizer runtime and libc is libhdf5's.
    case hdf5Library
    /// DVEBench's own code, or a module that is neither libhdf5 nor libc (the Swift runtime, Foundation).
    case elsewhere(String)
}

struct CrashReport {
    let text: String
    let symbols: ExecutableSymbols

    /// The stacks of the report, in order: an AddressSanitizer error has the error's stack first (then
    /// where the memory was allocated or freed); a LeakSanitizer report has one stack per leak.
    var stacks: [[String]] {
        var result: [[String]] = []
        var current: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("#"), trimmed.dropFirst().first?.isNumber == true {
                current.append(trimmed)
            } else if !current.isEmpty {
                result.append(current)
                current = []
            }
        }
        if !current.isEmpty { result.append(current) }
        return result
    }

    func blame(_ stack: [String]) -> CrashBlame {
        for frame in stack {
            guard let (module, offset) = Self.moduleAndOffset(frame) else { continue }
            if module == symbols.path {
                let name = symbols.name(at: offset) ?? "?"
                if ExecutableSymbols.isDVEBench(name) { return .elsewhere("\(name) in DVEBench") }
                continue  // the sanitizer runtime (interceptors, report machinery) or libFuzzer
            }
            let file = (module as NSString).lastPathComponent
            if file.hasPrefix("libc.so") || file.hasPrefix("ld-linux") || file.hasPrefix("libpthread") { continue }
            return file.hasPrefix("libhdf5") ? .hdf5Library : .elsewhere(file)
        }
        return .elsewhere("a stack with no frame outside the sanitizer runtime and libc")
    }

    /// `#3 0x55d0c0a1b2c3  (/path/module+0x1b2c3)`, with or without ` in function` and `(BuildId: …)`.
    static func moduleAndOffset(_ frame: String) -> (String, UInt64)? {
        guard let open = frame.firstIndex(of: "("), let plus = frame[open...].range(of: "+0x") else { return nil }
        let module = String(frame[frame.index(after: open)..<plus.lowerBound])
        let digits = frame[plus.upperBound...].prefix { $0.isHexDigit }
        guard let offset = UInt64(digits, radix: 16) else { return nil }
        return (module, offset)
    }

    /// The report with each of this binary's frames followed by its symbol, for a finding's message.
    var annotated: String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            guard let (module, offset) = Self.moduleAndOffset(String(line)), module == symbols.path,
                  let name = symbols.name(at: offset) else { return String(line) }
            return "\(line)  \(name)"
        }.joined(separator: "\n")
    }
}

/// The function symbols of this executable's ELF `.symtab`, to name an offset in it without a
/// symbolizer. The binary is position independent, so a report's `binary+0xOFFSET` is a symbol value.
struct ExecutableSymbols: Sendable {
    let path: String
    private let starts: [UInt64]
    private let ends: [UInt64]
    private let names: [String]

    static func isDVEBench(_ name: String) -> Bool { name.hasPrefix("$s") || name.hasPrefix("dve_") }

    func name(at offset: UInt64) -> String? {
        var low = 0, high = starts.count
        while low < high {
            let middle = (low + high) / 2
            if starts[middle] <= offset { low = middle + 1 } else { high = middle }
        }
        let index = low - 1
        guard index >= 0, offset < ends[index] else { return nil }
        return names[index]
    }

    enum LoadError: Error { case notELF64(String), noSymbolTable(String) }

    static func load(_ path: String) throws -> ExecutableSymbols {
        let data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        return try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> ExecutableSymbols in
            func read<T: FixedWidthInteger>(_: T.Type, _ at: Int) -> T {
                T(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: T.self))
            }
            guard bytes.count > 64, bytes[0] == 0x7f, bytes[1] == 0x45, bytes[2] == 0x4c, bytes[3] == 0x46, bytes[4] == 2
            else { throw LoadError.notELF64(path) }
            let sectionTable = Int(read(UInt64.self, 0x28))
            let sectionSize = Int(read(UInt16.self, 0x3a))
            let sectionCount = Int(read(UInt16.self, 0x3c))
            func section(_ index: Int) -> (type: UInt32, offset: Int, size: Int, link: Int) {
                let base = sectionTable + index * sectionSize
                return (read(UInt32.self, base + 4), Int(read(UInt64.self, base + 0x18)),
                        Int(read(UInt64.self, base + 0x20)), Int(read(UInt32.self, base + 0x28)))
            }
            guard let table = (0..<sectionCount).map(section).first(where: { $0.type == 2 }) else {
                throw LoadError.noSymbolTable(path)
            }
            let strings = section(table.link)
            var entries: [(UInt64, UInt64, String)] = []
            for symbol in stride(from: table.offset, to: table.offset + table.size, by: 24) {
                let isFunction = bytes[symbol + 4] & 0xf == 2
                let value = read(UInt64.self, symbol + 8)
                guard isFunction, value != 0 else { continue }
                let nameStart = strings.offset + Int(read(UInt32.self, symbol))
                var nameEnd = nameStart
                while nameEnd < bytes.count, bytes[nameEnd] != 0 { nameEnd += 1 }
                let name = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[nameStart..<nameEnd]), as: UTF8.self)
                entries.append((value, value + max(1, read(UInt64.self, symbol + 16)), name))
            }
            entries.sort { $0.0 < $1.0 }
            return ExecutableSymbols(path: path, starts: entries.map(\.0), ends: entries.map(\.1), names: entries.map(\.2))
        }
    }
}
