#include <stddef.h>
#include <stdint.h>
// libFuzzer's driver (LLVM ≥ 11). SwiftPM gives executable targets their own `main`, so the fuzz
// target calls the driver from there instead of linking libFuzzer's main.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
