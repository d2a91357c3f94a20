import ArgumentParser
import Harness

/// `dvebench export IN.h5 OUT.pth`: our weights as a PyTorch zip-format state dict, for
/// `model.load_state_dict(torch.load(OUT, weights_only=True))`.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write weights from an HDF5 file as a PyTorch .pth state dict (zip format).",
        discussion: """
        The input is a DVEBench training checkpoint, or any HDF5 group holding state_dict_keys and \
        weights/ (as the golden smallnet.h5 does per net: --group c16), or model_keys and model/. The \
        output is an OrderedDict of tensors that torch.load(path, weights_only=True) accepts.
        """
    )

    @Argument(help: "HDF5 file holding a state dict.")
    var input: String

    @Argument(help: "The .pth file to write.")
    var output: String

    @Option(help: "The group inside the HDF5 file that holds the state dict (default: the root).")
    var group: String?

    func run() throws {
        do {
            let summary = try CheckpointExport.export(hdf5: input, group: group, to: output)
            print("wrote \(summary.output): \(summary.tensors) tensors, \(summary.elements) elements, \(summary.bytes) bytes from \(summary.source)")
        } catch {
            throw CommandFailure(message: "\(error)")
        }
    }
}
