#!/usr/bin/python3
"""Cross-check the torch.nn SmallNet of make_smallnet_golden.py against a
golden smallnet.h5 (the reference one or a generated one): load each group's
weights, recompute eval output, intermediates, the train-mode forward, loss,
grad_input, parameter grads and running stats with the stored x and R, and
print scaled errors  max|a-b| / max|b|  (rel-L2 for grads).

usage: /usr/bin/python3 tools/golden/crosscheck_smallnet.py FILE.h5
"""
import os
import sys

import h5py
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_smallnet_golden import SmallNet, INTERMEDIATE_NAMES  # noqa: E402


def scaled(a, b):
    a = np.asarray(a, np.float64); b = np.asarray(b, np.float64)
    m = np.abs(b).max()
    return float(np.abs(a - b).max() / m) if m > 0 else float(np.abs(a - b).max())


def rel_l2(a, b):
    a = np.asarray(a, np.float64); b = np.asarray(b, np.float64)
    return float(np.linalg.norm((a - b).ravel()) / np.linalg.norm(b.ravel()))


def main(path):
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    worst = {}
    fails = 0

    def rep(what, val, tol):
        nonlocal fails
        ok = val <= tol
        fails += not ok
        print("  %-44s %.3e %s" % (what, val, "" if ok else "  FAIL (tol %.0e)" % tol))

    with h5py.File(path, "r") as f:
        x = torch.from_numpy(f["x"][()])
        for gname in sorted((k for k in f if k.startswith("c")), key=lambda s: int(s[1:])):
            g = f[gname]
            C = int(g.attrs["num_output_channels"])
            keys = [k.decode() for k in g["state_dict_keys"][()]]
            sd = {k: torch.from_numpy(np.array(g["weights/" + k][()])) for k in keys}
            net = SmallNet(C)
            assert list(net.state_dict().keys()) == keys, "state_dict key order differs"
            assert sum(p.numel() for p in net.parameters()) == int(g["num_parameters"][()])
            net.load_state_dict(sd)
            print("%s (C=%d)" % (gname, C))
            net.eval()
            cap = {}
            with torch.no_grad():
                out = net(x, capture=cap)[0]
            rep("eval/output scaled", scaled(out, g["eval/output"][()]), 1e-4)
            if "intermediates" in g["eval"]:
                for n in INTERMEDIATE_NAMES:
                    rep("eval/intermediates/%s scaled" % n,
                        scaled(cap[n][0:1], g["eval/intermediates/" + n][()]), 1e-4)
            net = SmallNet(C); net.load_state_dict(sd); net.train()
            xi = x.clone().requires_grad_(True)
            R = torch.from_numpy(g["train/R"][()])
            out = net(xi)[0]
            loss = (out * R).sum()
            loss.backward()
            rep("train/output scaled", scaled(out.detach(), g["train/output"][()]), 1e-4)
            ref_loss = float(g["train/loss"][()])
            rep("train/loss rel", abs(loss.item() - ref_loss) / abs(ref_loss), 1e-5)
            rep("train/grad_input scaled", scaled(xi.grad, g["train/grad_input"][()]), 2e-4)
            rep("train/grad_input rel-L2", rel_l2(xi.grad, g["train/grad_input"][()]), 1e-4)
            params = dict(net.named_parameters())
            gkeys = [k.decode() for k in g["train/grad_keys"][()]]
            for k in gkeys:
                d = g["train/grads/" + k]
                mine = params[k].grad
                if int(d.attrs["mathematically_zero"]):
                    bn_bias = k.replace(".0.bias", ".1.bias")
                    scale = float(params[bn_bias].grad.abs().max())
                    rep("grads/%s |mine|/max|bn bias grad|" % k, float(mine.abs().max()) / scale, 1e-4)
                    rep("grads/%s |stored|/max|bn bias grad|" % k, float(np.abs(d[()]).max()) / scale, 1e-4)
                else:
                    rep("grads/%s scaled" % k, scaled(mine, d[()]), 2e-4)
                    rep("grads/%s rel-L2" % k, rel_l2(mine, d[()]), 1e-4)
            bufs = dict(net.named_buffers())
            for k in g["train/running_after"]:
                ref = g["train/running_after/" + k][()]
                if k.endswith("num_batches_tracked"):
                    rep("running_after/%s |diff|" % k, float(abs(int(bufs[k]) - int(ref))), 0)
                else:
                    rep("running_after/%s scaled" % k, scaled(bufs[k], ref), 1e-4)
    print("FAILURES: %d" % fails)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
