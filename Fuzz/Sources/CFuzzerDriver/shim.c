// Declarations only; the symbols come from libFuzzer and AddressSanitizer (-sanitize=fuzzer,address).
#include "CFuzzerDriver.h"
