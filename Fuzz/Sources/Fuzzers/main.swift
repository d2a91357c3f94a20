import CFuzzerDriver
import Foundation

// Fuzzers TARGET [libFuzzer flags…]   runs libFuzzer on one target
// Fuzzers seeds TARGET DIR            writes that target's seed corpus into DIR
// Fuzzers hdf5-zygote INPUT REPORT FD the hdf5 target's worker factory (HDF5Zygote), started by it
let usage = "usage: Fuzzers TARGET [libFuzzer flags…] | Fuzzers seeds TARGET DIR   (targets: \(FuzzTarget.all.map(\.name).joined(separator: ", ")))"
let arguments = CommandLine.arguments
guard arguments.count >= 2 else { FileHandle.standardError.write(Data((usage + "\n").utf8)); exit(2) }

if arguments[1] == "seeds" {
    guard arguments.count == 4, let target = FuzzTarget.named(arguments[2]) else {
        FileHandle.standardError.write(Data((usage + "\n").utf8)); exit(2)
    }
    do {
        let written = try target.writeSeeds(URL(fileURLWithPath: arguments[3]))
        print("\(target.name): \(written) seed files in \(arguments[3])")
        exit(0)
    } catch {
        FileHandle.standardError.write(Data("\(target.name): writing seeds failed: \(error)\n".utf8)); exit(1)
    }
}

if arguments[1] == HDF5Zygote.command, arguments.count == 5, let coverage = Int32(arguments[4]) {
    HDF5Zygote.serve(inputPath: arguments[2], reportPath: arguments[3], coverage: coverage)
}

guard let target = FuzzTarget.named(arguments[1]) else { FileHandle.standardError.write(Data((usage + "\n").utf8)); exit(2) }
target.prepare()
// Each seed once before libFuzzer starts counting allocations: Swift's lazily initialised globals
// (the manifest key schema, decoder tables) allocate on first use and hold some of it through
// tagged enum pointers LeakSanitizer cannot follow, which it would report as leaked.
do {
    for (_, seed) in try target.seeds() { _ = seed.withUnsafeBufferPointer { target.run($0) } }
} catch {
    FileHandle.standardError.write(Data("\(target.name): reading the seeds failed: \(error)\n".utf8)); exit(1)
}
FuzzTarget.current = target

// libFuzzer parses its own flags from argv; the target's name is not one of them.
var driverArguments = [arguments[0]] + arguments.dropFirst(2)
var cArguments: [UnsafeMutablePointer<CChar>?] = driverArguments.map { strdup($0) } + [nil]
var argc = CInt(driverArguments.count)
exit(cArguments.withUnsafeMutableBufferPointer { buffer in
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = buffer.baseAddress
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        guard let data else { return 0 }
        return FuzzTarget.current?.run(UnsafeBufferPointer(start: data, count: size)) ?? 0
    }
})
