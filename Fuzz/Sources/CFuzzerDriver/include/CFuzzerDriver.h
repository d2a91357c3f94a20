#include <stddef.h>
#include <stdint.h>
// libFuzzer's driver (LLVM ≥ 11). SwiftPM gives executable targets their own `main`, so the fuzz
// target calls the driver from there instead of linking libFuzzer's main.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
// LeakSanitizer's on-demand check (compiler-rt's lsan_interface.h): the HDF5 target's forked child
// calls it before _exit, which skips the check LeakSanitizer would run at a normal exit.
int __lsan_do_recoverable_leak_check(void);
// The sanitizer runtime's death callback; libFuzzer installs one that saves the current input as a
// crash. The HDF5 target's forked child removes it: a crash there is judged by the parent.
void __sanitizer_set_death_callback(void (*callback)(void));
