"""Helpers shared by the PyTorch benchmark scripts: thread pinning, the foreign-load probe, peak RSS.

Importing this module does not import torch (pipeline_bench.py's parent process must stay small,
so that the children it starts do not inherit its high-water mark)."""

import ctypes
import ctypes.util
import os
import resource
import time


def openblas_setter():
    """openblas_set_num_threads of the OpenBLAS already mapped into this process, if any."""
    for name in ("libopenblas.so.0", ctypes.util.find_library("openblas")):
        if not name:
            continue
        try:
            return ctypes.CDLL(name).openblas_set_num_threads
        except (OSError, AttributeError):
            continue
    return None


def set_threads(t, blas_setter):
    """t threads in total: ATen/OpenMP's and OpenBLAS's own pool."""
    import torch
    torch.set_num_threads(t)
    if blas_setter is not None:
        blas_setter(ctypes.c_int(t))


class ForeignLoadProbe:
    """Cores' worth of CPU used by other processes while a sample ran: all CPUs' busy time from
    /proc/stat minus this process's own CPU time, per wall-clock second. None where /proc/stat is
    missing. Lets a noisy shared machine's disturbed samples be told apart from clean ones."""

    TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    @staticmethod
    def busy_ticks():
        try:
            with open("/proc/stat") as f:
                fields = [float(v) for v in f.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        return fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + fields[7]

    @staticmethod
    def own_cpu():
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    def __init__(self):
        self.busy = self.busy_ticks()
        self.cpu = self.own_cpu()
        self.wall = time.perf_counter()

    def foreign_cores(self):
        end = self.busy_ticks()
        elapsed = time.perf_counter() - self.wall
        if self.busy is None or end is None or elapsed <= 0:
            return None
        busy = (end - self.busy) / self.TICKS
        return max(0.0, busy - (self.own_cpu() - self.cpu)) / elapsed


def peak_rss_mb():
    """ru_maxrss of this process (kB on Linux), in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
