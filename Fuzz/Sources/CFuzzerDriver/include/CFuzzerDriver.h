#include <stddef.h>
#include <stdint.h>
// libFuzzer's driver (LLVM ≥ 11). SwiftPM gives executable targets their own `main`, so the fuzz
// target calls the driver from there instead of linking libFuzzer's main.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
// LeakSanitizer's on-demand check (compiler-rt's lsan_interface.h): the HDF5 target's workers
// call it before _exit, which skips the check LeakSanitizer would run at a normal exit.
int __lsan_do_recoverable_leak_check(void);
// The sanitizer's allocation hooks (sanitizer/allocator_interface.h).
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
                                              void (*free_hook)(const volatile void *));
// The HDF5 target's workers run LeakSanitizer only after an input that left more allocations than
// it freed (libFuzzer's own rule): a leak check stops the process and scans it, ~30 ms, far more
// than the read. shim.c counts through the hooks above.
int dve_fuzz_count_allocations(void);
void dve_fuzz_reset_allocation_count(void);
long dve_fuzz_outstanding_allocations(void);
// The HDF5 target's coverage shared with its workers (shim.c): the fuzzer moves its counters onto
// a memfd and returns it (or -1); the zygote maps that memfd over its own counters (0 or -1).
int dve_fuzz_share_counters(void);
int dve_fuzz_attach_counters(int fd);
long dve_fuzz_shared_counter_bytes(void);
