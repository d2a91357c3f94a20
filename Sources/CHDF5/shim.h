#ifndef DVEBENCH_CHDF5_SHIM_H
#define DVEBENCH_CHDF5_SHIM_H

// Swift cannot import HDF5's object-like macros: most of them expand to a
// global that is only valid after H5open() (`H5OPEN H5T_NATIVE_FLOAT_g`).
// Each getter evaluates the macro at call time, so the library is opened
// lazily exactly as in C. Callers must hold the HDF5 module's global lock.
#include <hdf5.h>

// Property lists, selections, error stacks.
static inline hid_t dve_h5p_default(void) { return H5P_DEFAULT; }
static inline hid_t dve_h5s_all(void) { return H5S_ALL; }
static inline hid_t dve_h5e_default(void) { return H5E_DEFAULT; }
static inline hid_t dve_h5p_link_create(void) { return H5P_LINK_CREATE; }
static inline hid_t dve_h5p_file_access(void) { return H5P_FILE_ACCESS; }

// File access flags.
static inline unsigned dve_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned dve_h5f_acc_rdwr(void) { return H5F_ACC_RDWR; }
static inline unsigned dve_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned dve_h5f_acc_excl(void) { return H5F_ACC_EXCL; }

// Native memory types.
static inline hid_t dve_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t dve_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t dve_h5t_native_int8(void) { return H5T_NATIVE_INT8; }
static inline hid_t dve_h5t_native_int16(void) { return H5T_NATIVE_INT16; }
static inline hid_t dve_h5t_native_int32(void) { return H5T_NATIVE_INT32; }
static inline hid_t dve_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t dve_h5t_native_uint8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t dve_h5t_native_uint16(void) { return H5T_NATIVE_UINT16; }
static inline hid_t dve_h5t_native_uint32(void) { return H5T_NATIVE_UINT32; }
static inline hid_t dve_h5t_native_uint64(void) { return H5T_NATIVE_UINT64; }
static inline hid_t dve_h5t_c_s1(void) { return H5T_C_S1; }
static inline size_t dve_h5t_variable(void) { return H5T_VARIABLE; }

// File types for writing: little-endian, like the golden files.
static inline hid_t dve_h5t_ieee_f32le(void) { return H5T_IEEE_F32LE; }
static inline hid_t dve_h5t_ieee_f64le(void) { return H5T_IEEE_F64LE; }
static inline hid_t dve_h5t_std_i64le(void) { return H5T_STD_I64LE; }
static inline hid_t dve_h5t_std_u8le(void) { return H5T_STD_U8LE; }

// Turns off HDF5's default handler, which prints every failure's stack to
// stderr; the Swift side captures the stack into the thrown error instead.
static inline herr_t dve_h5_silence_errors(void) {
    return H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

// Frees the strings HDF5 allocated for a variable-length string read.
// H5Dvlen_reclaim is deprecated from 1.12 on in favour of H5Treclaim.
static inline herr_t dve_h5_vlen_reclaim(hid_t type, hid_t space, void *buf) {
#if H5_VERSION_GE(1, 12, 0)
    return H5Treclaim(type, space, H5P_DEFAULT, buf);
#else
    return H5Dvlen_reclaim(type, space, H5P_DEFAULT, buf);
#endif
}

#endif
