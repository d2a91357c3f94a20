/// The only globals a pickle may name. Python's unpickler imports whatever module a `GLOBAL` opcode
/// names and calls it, which is how a `.pth` file can run `os.system`; this reader instead looks each
/// name up here and refuses the file at the first name that is not listed, before anything is built.
///
/// Nothing listed is executed either: each entry is a data constructor implemented in Swift
/// (`OrderedDict`, the tensor rebuilders, storage classes), or an inert placeholder class whose
/// instances become `PickledObject` records of their arguments and state.
enum AllowedGlobal: Equatable {
    case orderedDict
    /// `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])`.
    case rebuildTensorV2
    /// `torch._utils._rebuild_parameter(tensor, requires_grad, hooks)` and the `_with_state` variant.
    case rebuildParameter
    case storageType(TorchDType)
    /// `builtins.set` / `frozenset`, as Python 3 pickles sets with protocol 2.
    case set
    /// `_codecs.encode(text, "latin1")`: how protocol 2 pickles `bytes` in Python 3.
    case codecsEncode
    /// An inert placeholder: calling it records the arguments; `BUILD` records the state.
    case record(String)
}

enum AllowList {
    /// Classes whose instances carry only data in DVE checkpoints: the August-2019 config object and
    /// what it holds, the June-2019 logger, and numpy scalars (which pickle via these two names).
    static let placeholderClasses: Set<String> = [
        "parse_config.ConfigParser",
        "pathlib.PosixPath", "pathlib.PurePosixPath", "pathlib.WindowsPath", "pathlib.PureWindowsPath",
        "argparse.Namespace",
        "utils.logger.Logger",
        "numpy.core.multiarray.scalar", "numpy.dtype",
    ]

    static func resolve(module: String, name: String) -> AllowedGlobal? {
        let dotted = module + "." + name
        switch dotted {
        case "collections.OrderedDict": return .orderedDict
        case "torch._utils._rebuild_tensor_v2": return .rebuildTensorV2
        case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state": return .rebuildParameter
        case "builtins.set", "builtins.frozenset", "__builtin__.set", "__builtin__.frozenset": return .set
        case "_codecs.encode": return .codecsEncode
        default: break
        }
        // CUDA storages are pickled under their CPU class names by torch.save; accept both spellings.
        if module == "torch" || module == "torch.cuda", let dtype = TorchDType(storageClassName: name) {
            return .storageType(dtype)
        }
        if placeholderClasses.contains(dotted) { return .record(dotted) }
        return nil
    }
}
