#!/usr/bin/python3
"""Compare the HDF5 structure of two golden files.

usage: schema_diff.py A.h5 B.h5 [--shapes] [--map c16=c32 ...]

Reports every difference in: object paths and kinds (group/dataset), dataset
dtype (fixed-length strings compared as 'fixed ASCII NULLPAD', their width is
data-dependent and reported only as a note), rank, layout (contiguous),
chunking/compression/filters, string padding/charset, attribute names, their
dtypes, shapes and string types.  With --shapes, dataset shapes must match too.
--map renames group prefixes of A before comparing (to compare a c32 group with
a c16 one).  Exit status 1 if any difference is found.
"""
import sys
import h5py
import numpy as np


def type_desc(tid, dtype):
    if isinstance(tid, h5py.h5t.TypeStringID):
        if tid.is_variable_str():
            return "VLEN-STRING"
        pad = {h5py.h5t.STR_NULLPAD: "NULLPAD", h5py.h5t.STR_NULLTERM: "NULLTERM",
               h5py.h5t.STR_SPACEPAD: "SPACEPAD"}[tid.get_strpad()]
        cset = {h5py.h5t.CSET_ASCII: "ASCII", h5py.h5t.CSET_UTF8: "UTF8"}[tid.get_cset()]
        return "STRING fixed %s %s" % (cset, pad)
    return dtype.str


def collect(path, mapping):
    out, notes = {}, {}
    with h5py.File(path, "r") as f:
        fcpl = f.id.get_create_plist()
        out["<file>"] = ("file", "superblock=%s libver=%s" % (fcpl.get_version()[0], f.libver[0]))

        def attrs(name, obj):
            for a in obj.attrs:
                aid = h5py.h5a.open(obj.id, a.encode())
                sh = aid.shape
                out[name + "@" + a] = ("attr", type_desc(aid.get_type(), aid.dtype), "rank=%d" % len(sh), sh)
                if aid.dtype.kind == "S":
                    notes[name + "@" + a] = aid.dtype.itemsize

        attrs("/", f)

        def visit(name, obj):
            for src, dst in mapping:
                if name == src or name.startswith(src + "/"):
                    name = dst + name[len(src):]
            if isinstance(obj, h5py.Dataset):
                dcpl = obj.id.get_create_plist()
                layout = {h5py.h5d.CONTIGUOUS: "contiguous", h5py.h5d.CHUNKED: "chunked",
                          h5py.h5d.COMPACT: "compact"}[dcpl.get_layout()]
                out[name] = ("dataset", type_desc(obj.id.get_type(), obj.dtype),
                             "rank=%d" % obj.ndim, obj.shape, layout,
                             "filters=%d" % dcpl.get_nfilters(), "scalar" if obj.shape == () else "simple")
                if obj.dtype.kind == "S":
                    notes[name] = obj.dtype.itemsize
            else:
                out[name] = ("group",)
            attrs(name, obj)

        f.visititems(visit)
    return out, notes


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    shapes = "--shapes" in argv
    mapping = []
    if "--map" in argv:
        i = argv.index("--map")
        for m in argv[i + 1:]:
            if m.startswith("--"):
                break
            if "=" in m:
                mapping.append(tuple(m.split("=", 1)))
                args.remove(m)
    a_path, b_path = args[:2]
    A, An = collect(a_path, mapping)
    B, Bn = collect(b_path, [])

    def strip(v):
        return v if shapes else tuple(x for x in v if not isinstance(x, tuple))

    ndiff = 0
    for k in sorted(set(A) | set(B)):
        if k not in A:
            print("only in %s: %s %s" % (b_path, k, B[k])); ndiff += 1
        elif k not in B:
            print("only in %s: %s %s" % (a_path, k, A[k])); ndiff += 1
        elif strip(A[k]) != strip(B[k]):
            print("differs: %s\n   A %s\n   B %s" % (k, A[k], B[k])); ndiff += 1
    for k in sorted(set(An) & set(Bn)):
        if An[k] != Bn[k]:
            print("note: string width differs (data-dependent): %s A=S%d B=S%d" % (k, An[k], Bn[k]))
    print("%d objects/attributes in A, %d in B, %d differences%s"
          % (len(A), len(B), ndiff, " (shapes compared)" if shapes else " (shapes ignored, ranks compared)"))
    return 1 if ndiff else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
