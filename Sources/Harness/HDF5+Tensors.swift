import HDF5
import Tensors

extension HDF5Dataset {
    /// The dataset as a Float32 tensor of its stored shape (a 0-d dataset gives shape `[]`).
    public func readTensor() throws(HDF5Error) -> Tensor {
        Tensor(shape: shape, storage: try readFloat32())
    }
}

extension HDF5Group {
    /// Reads `keys` from this group into a `StateDict`: int64 datasets become counters
    /// (`num_batches_tracked`), float32 datasets tensors.
    public func readStateDict(keys: [String]) throws(HDF5Error) -> StateDict {
        var dict = StateDict()
        for key in keys {
            let dataset = try dataset(key)
            if dataset.elementType.isInteger {
                dict[key] = .int64(shape: dataset.shape, values: try dataset.readInt64())
            } else {
                dict[key] = .float(try dataset.readTensor())
            }
        }
        return dict
    }

    /// Writes a tensor as a float32 dataset of its shape.
    public func write(_ name: String, tensor: Tensor) throws(HDF5Error) {
        try write(name, float32: tensor.storage, shape: tensor.shape)
    }
}
