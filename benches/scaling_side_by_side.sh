#!/usr/bin/env bash
# LSTM scaling tables, seqzoo beside PyTorch: how a training step, an inference forward and one
# training step's peak memory grow with the sequence length T (at B = 32) and the batch B (at
# T = 100). H = 256, I = 65, one layer, unidirectional, batch-first, f32, 2 threads on both sides;
# training step = forward, loss = mean(out²), backward, Adam 1e-3 (as benches/side_by_side.sh).
# Runs benches/torch_scaling.py and examples/scaling_table.rs (each case in a fresh process; see
# their headers for how time and memory are measured) ROUNDS times (default 3) alternating the
# two, keeps for each case and side the lowest of the rounds' medians (a shared machine only ever
# makes a round slower) and the lowest memory figure, and prints two markdown tables:
#   vs T: T | seqzoo train ms | PyTorch train ms | ratio | seqzoo infer ms | PyTorch infer ms |
#         ratio | seqzoo MiB | PyTorch MiB            (ratio = seqzoo time / PyTorch time)
#   vs B: the same columns plus the per-sequence training time (ms / B) of each side,
# and under each table a line checking the scaling claims from the numbers: time linear in T
# ((ms/T at the largest T) / (ms/T at the smallest) within 1/1.3..1.3), per-sequence time
# sub-linear in B (ms/B falls at every larger B), and the memory slope per B·T·H element in bytes
# (least-squares fit of MiB over B·T·H across the table's cases). Run by hand, never by CI.
#
#   benches/scaling_side_by_side.sh                          # full: 3 rounds, 2 s per case and mode
#   TS=50,100 BS=1,8 SECONDS_PER_CASE=0.2 ROUNDS=1 benches/scaling_side_by_side.sh   # smoke
#   PYTHON=/path/to/python benches/scaling_side_by_side.sh
#
# TS (default 50,100,200,400,800) and BS (default 1,8,32,128) choose the sweeps. PYTHON defaults to
# /work/torch-venv/bin/python when present, else python3; it needs torch.
set -euo pipefail
cd "$(dirname "$0")/.."
TS=${TS:-50,100,200,400,800}
BS=${BS:-1,8,32,128}
SECONDS_PER_CASE=${SECONDS_PER_CASE:-2}
ROUNDS=${ROUNDS:-3}
if [[ -z "${PYTHON:-}" ]]; then
    if [[ -x /work/torch-venv/bin/python ]]; then PYTHON=/work/torch-venv/bin/python; else PYTHON=python3; fi
fi
cargo build --release --example scaling_table >/dev/null 2>&1
EXAMPLE=${CARGO_TARGET_DIR:-target}/release/examples/scaling_table
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

for round in $(seq "$ROUNDS"); do
    echo "== round $round: PyTorch" >&2
    "$PYTHON" benches/torch_scaling.py --ts "$TS" --bs "$BS" --seconds "$SECONDS_PER_CASE" \
        >"$OUT/pytorch_$round.jsonl"
    echo "== round $round: seqzoo" >&2
    "$EXAMPLE" --ts "$TS" --bs "$BS" --seconds "$SECONDS_PER_CASE" >"$OUT/seqzoo_$round.jsonl"
done

"$PYTHON" - "$OUT" "$ROUNDS" "$TS" "$BS" <<'EOF'
import glob, json, os, platform, sys

out, rounds = sys.argv[1], int(sys.argv[2])
ts = [int(v) for v in sys.argv[3].split(",") if v]
bs = [int(v) for v in sys.argv[4].split(",") if v]
H = 256

def best(side):
    """(T, B) -> the lowest train_ms, infer_ms and train_peak_mib over the rounds."""
    rows = {}
    for path in sorted(glob.glob(os.path.join(out, f"{side}_*.jsonl"))):
        for line in open(path):
            r = json.loads(line)
            key = (r["T"], r["B"])
            if key not in rows:
                rows[key] = dict(r)
            else:
                for f in ("train_ms", "infer_ms", "train_peak_mib"):
                    rows[key][f] = min(rows[key][f], r[f])
    return rows

s, p = best("seqzoo"), best("pytorch")
torch_version = next(iter(p.values()), {}).get("torch", "?")
print(f"LSTM H={H}, I=65, f32, 2 threads; seqzoo beside PyTorch {torch_version} on "
      f"{platform.node()}, {os.cpu_count()} CPUs, best of {rounds} round(s), load average now "
      f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}")
hwm = all(r.get("hwm_reset") for r in list(s.values()) + list(p.values()))
print(f"MiB = VmHWM after the first training step - VmRSS before it, in a fresh process "
      f"({'high-water mark reset before the step' if hwm else 'high-water mark NOT always reset: the process peak'})")

def fit(points):
    """Least-squares slope and intercept of y over x."""
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if sxx == 0:
        return None, None
    slope = sum((x - mx) * (y - my) for x, y in points) / sxx
    return slope, my - slope * mx

def memory_line(keys):
    parts = []
    for name, rows in (("seqzoo", s), ("PyTorch", p)):
        pts = [(b * t * H, rows[(t, b)]["train_peak_mib"]) for t, b in keys if (t, b) in rows]
        slope, icpt = fit(pts) if len(pts) >= 2 else (None, None)
        if slope is None:
            parts.append(f"{name} -")
        else:
            parts.append(f"{name} {slope * 2**20:.1f} bytes per B·T·H (+ {icpt:.1f} MiB)")
    return "memory slope (least squares over the cases): " + "; ".join(parts)

def table(title, keys, first, per_seq):
    print(f"\n### {title}\n")
    head = f"| {first} | seqzoo train ms | PyTorch train ms | ratio | seqzoo infer ms | " \
           "PyTorch infer ms | ratio | seqzoo MiB | PyTorch MiB |"
    rule = "|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
    if per_seq:
        head += " seqzoo train ms/B | PyTorch train ms/B |"
        rule += "--:|--:|"
    print(head)
    print(rule)
    for t, b in keys:
        if (t, b) not in s or (t, b) not in p:
            continue
        a, q = s[(t, b)], p[(t, b)]
        row = (f"| {t if first == 'T' else b} | {a['train_ms']:.2f} | {q['train_ms']:.2f} | "
               f"{a['train_ms'] / q['train_ms']:.2f} | {a['infer_ms']:.2f} | {q['infer_ms']:.2f} | "
               f"{a['infer_ms'] / q['infer_ms']:.2f} | {a['train_peak_mib']:.1f} | "
               f"{q['train_peak_mib']:.1f} |")
        if per_seq:
            row += f" {a['train_ms'] / b:.3f} | {q['train_ms'] / b:.3f} |"
        print(row)
    print()

t_keys = [(t, 32) for t in ts]
table("vs T (B = 32)", t_keys, "T", False)
have = [k for k in t_keys if k in s and k in p]
if len(have) >= 2:
    (t0, _), (t1, _) = min(have), max(have)
    parts = []
    for name, rows in (("seqzoo", s), ("PyTorch", p)):
        for mode in ("train", "infer"):
            r = (rows[(t1, 32)][f"{mode}_ms"] / t1) / (rows[(t0, 32)][f"{mode}_ms"] / t0)
            ok = "yes" if 1 / 1.3 <= r <= 1.3 else "NO"
            parts.append(f"{name} {mode} {r:.2f} ({ok})")
    print(f"time linear in T: (ms/T at T={t1}) / (ms/T at T={t0}) within 1.3: " + ", ".join(parts))
    print()
print(memory_line(t_keys))

b_keys = [(100, b) for b in bs]
table("vs B (T = 100)", b_keys, "B", True)
have = sorted(k for k in b_keys if k in s and k in p)
if len(have) >= 2:
    parts = []
    for name, rows in (("seqzoo", s), ("PyTorch", p)):
        for mode in ("train", "infer"):
            per = [rows[k][f"{mode}_ms"] / k[1] for k in have]
            ok = "yes" if all(b < a for a, b in zip(per, per[1:])) else "NO"
            ratio = per[-1] / per[0]
            parts.append(f"{name} {mode} {ok} (ms/B at B={have[-1][1]} is {ratio:.3f}× B={have[0][1]})")
    print("per-sequence time sub-linear in B (ms/B falls at every larger B): " + ", ".join(parts))
    print()
print(memory_line(b_keys))
EOF
