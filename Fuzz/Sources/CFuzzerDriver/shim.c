// libFuzzer's and the sanitizers' entry points are only declared here (CFuzzerDriver.h); their
// symbols come from -sanitize=fuzzer,address. What is defined here is the HDF5 target's
// allocation count, kept in C because the sanitizer calls it from inside malloc and free, and its
// shared coverage (below).
#define _GNU_SOURCE
#include <sys/mman.h>
#include <unistd.h>
#include <stdint.h>
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

// The HDF5 target's shared coverage. libFuzzer reads the inline 8-bit counters of this binary's
// __sancov_cntrs section after each input; the input is read by a worker process (a fork of the
// zygote, itself this binary started again), whose counters are its own. So the fuzzer moves the
// section's whole pages onto a memfd mapped shared, and the zygote maps the same memfd over the
// same pages of its copy (same binary, same offsets), before it forks workers: a worker's
// coverage lands where libFuzzer looks. The section's first and last partial pages, shared with
// neighbouring sections, stay private: a few hundred of its 200 000 counters go unseen.

extern char __start___sancov_cntrs[] __attribute__((weak));
extern char __stop___sancov_cntrs[] __attribute__((weak));

static int counter_pages(uintptr_t *start, size_t *length) {
    if (!__start___sancov_cntrs || !__stop___sancov_cntrs) return -1;
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t first = ((uintptr_t)__start___sancov_cntrs + page - 1) & ~(page - 1);
    uintptr_t last = (uintptr_t)__stop___sancov_cntrs & ~(page - 1);
    if (last <= first) return -1;
    *start = first;
    *length = last - first;
    return 0;
}

int dve_fuzz_share_counters(void) {
    uintptr_t start; size_t length;
    if (counter_pages(&start, &length) != 0) return -1;
    int fd = memfd_create("dvebench-fuzz-coverage", 0);
    if (fd < 0) return -1;
    if (ftruncate(fd, (off_t)length) != 0 || pwrite(fd, (void *)start, length, 0) != (ssize_t)length) {
        close(fd);
        return -1;
    }
    if (mmap((void *)start, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED) {
        close(fd);
        return -1;
    }
    return fd;
}

int dve_fuzz_attach_counters(int fd) {
    uintptr_t start; size_t length;
    if (counter_pages(&start, &length) != 0) return -1;
    return mmap((void *)start, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED ? -1 : 0;
}

long dve_fuzz_shared_counter_bytes(void) {
    uintptr_t start; size_t length;
    return counter_pages(&start, &length) == 0 ? (long)length : 0;
}
