// libFuzzer's and the sanitizers' entry points are only declared here (CFuzzerDriver.h); their
// symbols come from -sanitize=fuzzer,address. What is defined here is the HDF5 target's
// allocation count, kept in C because the sanitizer calls it from inside malloc and free.
#include "CFuzzerDriver.h"

static volatile long outstanding_allocations;

static void count_malloc(const volatile void *pointer, size_t size) {
    (void)pointer; (void)size;
    outstanding_allocations++;
}

static void count_free(const volatile void *pointer) {
    if (pointer) outstanding_allocations--;
}

int dve_fuzz_count_allocations(void) {
    return __sanitizer_install_malloc_and_free_hooks(count_malloc, count_free);
}

void dve_fuzz_reset_allocation_count(void) { outstanding_allocations = 0; }

long dve_fuzz_outstanding_allocations(void) { return outstanding_allocations; }
