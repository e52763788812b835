"""PyTorch side of the LSTM scaling tables (benches/scaling_side_by_side.sh): train and inference
time and one training step's peak memory against the sequence length T and the batch B.

Run by hand (not by CI) from the repository root with a Python that has torch:

    /path/to/python benches/torch_scaling.py                    # T sweep at B=32, B sweep at T=100
    /path/to/python benches/torch_scaling.py --ts 50,100 --bs 1,8 --seconds 0.2
    /path/to/python benches/torch_scaling.py --case 100 32      # one case, in this process

The same measurement as `examples/scaling_table.rs`, field for field. nn.LSTM(65, 256,
batch_first=True): one layer, unidirectional, f32, CPU, torch.set_num_threads(2); input x [B, T, 65]
random normal (fixed seed), h0 = 0. Training step as in benches/torch_lstm.py: zero_grad(set_to_none),
forward, loss = mean(output**2), backward, one Adam step (lr 1e-3); inference: the forward under
torch.no_grad(). Subnormals are not flushed (as in torch_lstm.py).

Cases: (T, 32) for each T of --ts (default 50,100,200,400,800), then (100, B) for each B of --bs
(default 1,8,32,128), a case met twice run once. Each case runs in a fresh process (this script
started again with --case T B), which prints one JSON line: T, B, H, I, train_ms and infer_ms
(medians of the per-step times after a warm-up of at least 3 steps and min(0.5 s, --seconds), with
as many timed steps as fill about --seconds, at least 3; default 2), train_iters, infer_iters,
train_ms_mean, infer_ms_mean, and the memory: rss_before_mib (VmRSS once the module, the input and
the optimizer exist and a small parallel matmul has started the worker threads), hwm_after_mib
(VmHWM after the first training step), train_peak_mib = their difference, and hwm_reset (whether
writing "5" to /proc/self/clear_refs reset the high-water mark before the step; when it did not,
VmHWM is the fresh process's, still a bound on the step's peak). The first step includes
oneDNN's one-time setup of its RNN primitive, as seqzoo's first step includes its own.
"""

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time

import torch
from torch import nn

H, I, THREADS = 256, 65, 2


def status_kib(field):
    """One field of /proc/self/status in KiB (VmRSS, VmHWM), 0 where unavailable."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def timed(step, seconds):
    """Per-step times (s) of `step` run about `seconds` after a warm-up of at least 3 steps and
    min(0.5, seconds) seconds (at least 3 timed steps)."""
    warmup = min(0.5, seconds)
    start, n = time.perf_counter(), 0
    while n < 3 or time.perf_counter() - start < warmup:
        step()
        n += 1
    per = (time.perf_counter() - start) / n
    iters = max(3, math.ceil(seconds / per))
    times = []
    for _ in range(iters):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    return times


def r3(v):
    """`v` rounded to 3 decimals."""
    return round(v, 3)


def run_case(t, b, seconds):
    """Measures one case in this process and prints its JSON line."""
    torch.set_num_threads(THREADS)
    torch.manual_seed(0)
    layer = nn.LSTM(I, H, batch_first=True)
    x = torch.randn(b, t, I)
    opt = torch.optim.Adam(layer.parameters(), lr=1e-3)
    # Start the worker threads before the memory is read, so their stacks are not the step's.
    torch.randn(256, 256) @ torch.randn(256, 256)

    def train():
        opt.zero_grad(set_to_none=True)
        out, _ = layer(x)
        loss = out.pow(2).mean()
        loss.backward()
        opt.step()

    def infer():
        with torch.no_grad():
            layer(x)

    rss_before = status_kib("VmRSS")
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        hwm_reset = True
    except OSError:
        hwm_reset = False
    train()
    hwm_after = status_kib("VmHWM")

    train_times = timed(train, seconds)
    infer_times = timed(infer, seconds)
    row = {
        "side": "pytorch",
        "torch": torch.__version__,
        "T": t,
        "B": b,
        "H": H,
        "I": I,
        "threads": torch.get_num_threads(),
        "train_ms": r3(1e3 * statistics.median(train_times)),
        "train_ms_mean": r3(1e3 * statistics.fmean(train_times)),
        "train_iters": len(train_times),
        "infer_ms": r3(1e3 * statistics.median(infer_times)),
        "infer_ms_mean": r3(1e3 * statistics.fmean(infer_times)),
        "infer_iters": len(infer_times),
        "rss_before_mib": r3(rss_before / 1024),
        "hwm_after_mib": r3(hwm_after / 1024),
        "train_peak_mib": r3(max(0, hwm_after - rss_before) / 1024),
        "hwm_reset": hwm_reset,
    }
    print(json.dumps(row), flush=True)


def sizes(s):
    """A comma-separated list of sizes."""
    return [int(v) for v in s.split(",") if v.strip()]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ts", default="50,100,200,400,800", help="T sweep (at B=32)")
    ap.add_argument("--bs", default="1,8,32,128", help="B sweep (at T=100)")
    ap.add_argument("--seconds", type=float, default=2.0, help="timed run per case and mode")
    ap.add_argument("--case", type=int, nargs=2, metavar=("T", "B"), help="one case, here")
    args = ap.parse_args()
    if args.case:
        run_case(*args.case, args.seconds)
        return
    cases = [(t, 32) for t in sizes(args.ts)] + [(100, b) for b in sizes(args.bs)]
    seen = []
    for t, b in cases:
        if (t, b) in seen:
            continue
        seen.append((t, b))
        cmd = [sys.executable, os.path.abspath(__file__), "--case", str(t), str(b)]
        subprocess.run(cmd + ["--seconds", str(args.seconds)], check=True)


if __name__ == "__main__":
    main()
