"""PyTorch side of the GEMM table: torch.matmul (MKL on CPU), float32, on 1 and 2 threads, at the
shapes of benches/gemm_shapes.json (the products the recurrent kernel issues, and 1024^3).

Run by hand (not by CI): /path/to/python benches/torch_gemm.py [SECONDS_PER_CASE]
Prints one JSON line per shape: {"name", "mkl_1t", "mkl_2t"} in GFLOP/s (2*m*k*n per call, the
median call after a warm-up). A transposed operand is a transposed view of a row-major tensor, as
seqzoo stores it.
"""

import json
import statistics
import sys
import time

import torch


def median_seconds(budget, f):
    """The median seconds of one call of f, timed for about `budget` after a warm-up."""
    start = time.perf_counter()
    while time.perf_counter() - start < budget / 5:
        f()
    times = []
    start = time.perf_counter()
    while time.perf_counter() - start < budget or len(times) < 5:
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    budget = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    with open("benches/gemm_shapes.json") as f:
        shapes = json.load(f)
    torch.manual_seed(0)
    for s in shapes:
        m, k, n = s["m"], s["k"], s["n"]
        a = torch.randn(k, m).t() if s["ta"] else torch.randn(m, k)
        b = torch.randn(n, k).t() if s["tb"] else torch.randn(k, n)
        out = torch.empty(m, n)
        row = {"name": s["name"]}
        for threads in (1, 2):
            torch.set_num_threads(threads)
            t = median_seconds(budget, lambda: torch.matmul(a, b, out=out))
            row[f"mkl_{threads}t"] = 2.0 * m * k * n / t / 1e9
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
