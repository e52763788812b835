"""PyTorch side of the side-by-side recurrent-layer benchmark (issue 3, DESIGN.md section 3).

Run by hand (not by CI) from the repository root with a Python that has torch:

    /path/to/python benches/torch_lstm.py                 # LSTM, markdown table
    /path/to/python benches/torch_lstm.py --kind gru      # or --kind rnn (tanh Elman RNN)
    /path/to/python benches/torch_lstm.py --json          # table, then one JSON line at the end
    /path/to/python benches/torch_lstm.py --shapes small,med --seconds 1
    /path/to/python benches/torch_lstm.py --wait-idle 300  # on a shared machine: wait for quiet

Uses 2 threads (torch.set_num_threads(2)), float32, CPU. One layer, unidirectional, batch-first.
Training step, identical to the criterion bench: forward of nn.LSTM/GRU/RNN(I, H, batch_first=True)
over the whole sequence x [B, T, I] (random normal, fixed seed, h0 = 0), loss = mean(output**2),
backward, one Adam step (lr 1e-3), with optimizer.zero_grad(set_to_none=True) before each step.
Inference: the same forward under torch.no_grad(), at the med shape only.

Shapes (hidden H, batch B, steps T, input I): small 32/32/100/2, char 128/32/64/65,
med 256/32/64/65, big 512/64/64/65. Each is warmed up (at least 3 steps and 0.5 s), then run for
N steps with N chosen from the warm-up so the timed run takes about --seconds (default 3).
ms/step is the median of the per-step times (robust to other work on a shared machine); the
mean over the timed run is reported next to it, and a large gap between the two means the machine
was busy: rerun when it is idle (the load average before and after is printed, and with
--wait-idle S the script waits up to S seconds before each shape for the CPUs to be under 10% busy
and records how busy they were; --repeat R times every shape in R rounds, spread over time, and
keeps the round with the lowest median, listing every round's median).
PyTorch runs nn.LSTM on CPU through oneDNN's fused RNN primitive (forward and backward) when
oneDNN is enabled, which is the default; GRU and RNN take ATen's per-step path. --no-onednn turns
oneDNN off (torch.backends.mkldnn.flags(enabled=False)) to show what the unfused path costs.
GFLOP/s uses FLOPs = 3 * 2 * B * T * (I + H) * G * H for a training step (G = 4 LSTM, 3 GRU,
1 RNN) and one third of that for inference (forward GEMMs only; gate math not counted).
"""

import argparse
import datetime
import json
import math
import os
import platform
import statistics
import time

import torch
from torch import nn

SHAPES = {  # name: (H, B, T, I)
    "small": (32, 32, 100, 2),
    "char": (128, 32, 64, 65),
    "med": (256, 32, 64, 65),
    "big": (512, 64, 64, 65),
}
GATES = {"lstm": 4, "gru": 3, "rnn": 1}
INFERENCE_SHAPES = ("med",)


def make_layer(kind, i, h):
    """The single-layer PyTorch module for `kind` (rnn means tanh)."""
    cls = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[kind]
    return cls(i, h, batch_first=True)


def timed(step, seconds, warmup_seconds=0.5, min_warmup=3):
    """Warms `step` up, then runs it about `seconds`; returns (per-step times in s, total s)."""
    start, n = time.perf_counter(), 0
    while n < min_warmup or time.perf_counter() - start < warmup_seconds:
        step()
        n += 1
    per = (time.perf_counter() - start) / n
    iters = max(3, math.ceil(seconds / per))
    times = []
    total = time.perf_counter()
    for _ in range(iters):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    return times, time.perf_counter() - total


def cpu_busy(window=1.0):
    """Fraction of all CPUs busy over `window` seconds (from /proc/stat; 0.0 where unavailable)."""

    def sample():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return sum(v), v[3] + v[4]  # total, idle + iowait

    try:
        t0, i0 = sample()
        time.sleep(window)
        t1, i1 = sample()
    except OSError:
        return 0.0
    return 1.0 - (i1 - i0) / max(1, t1 - t0)


def wait_idle(limit, threshold=0.1):
    """Waits up to `limit` seconds for the CPUs to be at most `threshold` busy; returns the last
    busy fraction seen (so a shared machine's interference is on record)."""
    deadline = time.monotonic() + limit
    busy = cpu_busy()
    while busy > threshold and time.monotonic() < deadline:
        busy = cpu_busy()
    return round(busy, 2)


def bench(kind, name, mode, seconds):
    """Times one shape in `mode` ("train" or "infer"); returns a result row."""
    h, b, t, i = SHAPES[name]
    torch.manual_seed(0)
    layer = make_layer(kind, i, h)
    x = torch.randn(b, t, i)
    if mode == "train":
        opt = torch.optim.Adam(layer.parameters(), lr=1e-3)

        def step():
            opt.zero_grad(set_to_none=True)
            out, _ = layer(x)
            loss = out.pow(2).mean()
            loss.backward()
            opt.step()

    else:
        layer.eval()

        def step():
            with torch.no_grad():
                layer(x)

    times, total = timed(step, seconds)
    flops = 3 * 2 * b * t * (i + h) * GATES[kind] * h
    if mode == "infer":
        flops //= 3
    ms = 1e3 * statistics.median(times)
    return {
        "kind": kind,
        "shape": name,
        "mode": mode,
        "H": h,
        "B": b,
        "T": t,
        "I": i,
        "iters": len(times),
        "ms_per_step": round(ms, 3),
        "ms_mean": round(1e3 * total / len(times), 3),
        "ms_min": round(1e3 * min(times), 3),
        "gflops": round(flops / (ms * 1e-3) / 1e9, 2),
        "flops_per_step": flops,
    }


def environment():
    """What the numbers were measured on."""
    return {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "cpus": os.cpu_count(),
        "onednn": torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled,
        "cpu": platform.processor() or platform.machine(),
        "loadavg_before": [round(v, 2) for v in os.getloadavg()],
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
    }


def main():
    """Parses arguments, runs the shapes, prints the markdown table (and JSON with --json)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kind", choices=sorted(GATES), default="lstm")
    ap.add_argument("--shapes", default=",".join(SHAPES), help="comma-separated subset")
    ap.add_argument("--seconds", type=float, default=3.0, help="timed run per shape")
    ap.add_argument("--no-infer", action="store_true", help="skip the inference-only row")
    ap.add_argument("--json", action="store_true", help="also print one JSON line at the end")
    ap.add_argument(
        "--repeat",
        type=int,
        default=1,
        metavar="R",
        help="time every shape in R rounds and keep the round with the lowest median",
    )
    ap.add_argument("--no-onednn", action="store_true", help="disable oneDNN (mkldnn) kernels")
    ap.add_argument(
        "--wait-idle",
        type=float,
        default=0.0,
        metavar="S",
        help="before each shape, wait up to S seconds for the CPUs to be idle (shared machines)",
    )
    args = ap.parse_args()
    torch.set_num_threads(2)
    if args.no_onednn:
        torch.backends.mkldnn.enabled = False
    env = environment()
    names = [s for s in args.shapes.split(",") if s]
    for s in names:
        if s not in SHAPES:
            ap.error(f"unknown shape {s!r}; known: {', '.join(SHAPES)}")
    runs = [(s, "train") for s in names]
    if not args.no_infer:
        runs += [(s, "infer") for s in INFERENCE_SHAPES if s in names]
    best = {}
    for _ in range(max(1, args.repeat)):
        for run in runs:
            busy = wait_idle(args.wait_idle) if args.wait_idle > 0 else None
            row = bench(args.kind, *run, args.seconds) | {"busy_before": busy}
            medians = best[run]["round_medians"] if run in best else []
            row["round_medians"] = medians + [row["ms_per_step"]]
            if run not in best or row["ms_per_step"] < best[run]["ms_per_step"]:
                best[run] = row
            else:
                best[run]["round_medians"] = row["round_medians"]
    rows = [best[run] for run in runs]

    env["loadavg_after"] = [round(v, 2) for v in os.getloadavg()]
    print(
        f"PyTorch {env['torch']}, {env['threads']} threads of {env['cpus']} CPUs, "
        f"{args.kind.upper()} (1 layer, uni, batch-first, f32), oneDNN "
        f"{'on' if env['onednn'] else 'off'}, {env['date']}, "
        f"load average before {env['loadavg_before']}, after {env['loadavg_after']}"
    )
    print()
    print(
        "| kind | shape | mode | H | B | T | I | ms/step (median) | ms mean | GFLOP/s | steps "
        "| CPU busy before | round medians |"
    )
    print("|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|")
    for r in rows:
        busy = "-" if r["busy_before"] is None else f"{r['busy_before']:.0%}"
        print(
            f"| {r['kind']} | {r['shape']} | {r['mode']} | {r['H']} | {r['B']} | {r['T']} | "
            f"{r['I']} | {r['ms_per_step']:.2f} | {r['ms_mean']:.2f} | {r['gflops']:.1f} | "
            f"{r['iters']} | {busy} | {' '.join(f'{m:.1f}' for m in r['round_medians'])} |"
        )
    if args.json:
        print(json.dumps({"env": env, "results": rows}, separators=(",", ":")))


if __name__ == "__main__":
    main()
