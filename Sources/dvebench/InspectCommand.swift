import ArgumentParser
import Harness

/// `dvebench inspect FILE.pth`: what a PyTorch checkpoint holds, read with the restricted unpickler
/// (nothing in the file is executed, so inspecting an untrusted file is safe).
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what a PyTorch .pth checkpoint holds and whether it maps onto a model of this build.",
        discussion: """
        Prints the container format (legacy torch.save stream or zip), arch, epoch, the globals the \
        pickle names, a config summary, the optimizer's groups, the tensor table (key, dtype, shape) \
        and whether the weights load into a known model: SmallNet or HourglassNet (sized from the \
        weights), alone or with the keypoint regressor of a regression run (0.wrapped_module.* and 1.* \
        keys, with or without DataParallel's module.). Files naming any global outside the allow-list \
        (for example os.system) are refused with an error. Exits 1 when the file cannot be read.
        """
    )

    @Argument(help: "A .pth file written by torch.save (legacy or zip format).")
    var file: String

    func run() throws {
        do {
            for line in try CheckpointInspection.lines(path: file) { print(line) }
        } catch {
            throw CommandFailure(message: "\(error)")
        }
    }
}

/// Prints the library's error (which names the file and the problem) and exits 1.
struct CommandFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
