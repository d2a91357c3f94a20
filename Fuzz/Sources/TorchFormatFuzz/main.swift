import CFuzzerDriver
import Foundation

// Hands control to libFuzzer, which calls `torchFormatFuzz` for every input.
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
    guard let data else { return 0 }
    return torchFormatFuzz(data, size)
})
