#!/usr/bin/env bash
# Side-by-side recurrent benchmark (issue 3): for each cell kind, runs the PyTorch script and then the
# criterion bench back to back, and prints one markdown table: seqzoo ms, GFLOP/s, PyTorch ms,
# GFLOP/s, ratio (seqzoo time / PyTorch time). Run by hand, never by CI (torch is optional).
#
#   benches/side_by_side.sh                 # lstm,gru,srn
#   KINDS=lstm SECONDS_PER_SHAPE=2 benches/side_by_side.sh
#   PYTHON=/path/to/python benches/side_by_side.sh
#
# PYTHON defaults to /tmp/tv/bin/python when present, else python3; it needs torch. The criterion
# estimates are read from $CARGO_TARGET_DIR (default target)/criterion; FLOPs per training step are
# 3·2·B·T·(I+H)·G·H (one third for inference), as in both benches.
set -euo pipefail
cd "$(dirname "$0")/.."
KINDS=${KINDS:-lstm,gru,srn}
SECONDS_PER_SHAPE=${SECONDS_PER_SHAPE:-3}
if [[ -z "${PYTHON:-}" ]]; then
    if [[ -x /tmp/tv/bin/python ]]; then PYTHON=/tmp/tv/bin/python; else PYTHON=python3; fi
fi
TARGET=${CARGO_TARGET_DIR:-target}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

cargo bench --bench recurrent_step --no-run >/dev/null 2>&1
for kind in ${KINDS//,/ }; do
    torch_kind=$kind
    [[ $kind == srn ]] && torch_kind=rnn
    echo "== $kind: PyTorch" >&2
    "$PYTHON" benches/torch_lstm.py --kind "$torch_kind" --seconds "$SECONDS_PER_SHAPE" --json \
        | tail -n 1 >"$OUT/torch_$kind.json"
    echo "== $kind: seqzoo" >&2
    rm -rf "$TARGET/criterion/${kind}_step"
    SEQZOO_BENCH_KINDS=$kind cargo bench --bench recurrent_step -- --noplot >"$OUT/criterion_$kind.log" 2>&1
done

"$PYTHON" - "$OUT" "$TARGET" "$KINDS" <<'EOF'
import json, os, platform, sys

out, target, kinds = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
label = {"lstm": "LSTM", "gru": "GRU", "srn": "SRN (tanh)"}
print(f"Side by side on {platform.node()}, {os.cpu_count()} CPUs, load average now "
      f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}")
print()
print("| cell | shape | seqzoo ms | GFLOP/s | PyTorch ms | GFLOP/s | ratio |")
print("|---|---|--:|--:|--:|--:|--:|")
for kind in kinds:
    with open(os.path.join(out, f"torch_{kind}.json")) as f:
        torch_rows = json.load(f)["results"]
    for r in torch_rows:
        mode, shape = r["mode"], r["shape"]
        est = os.path.join(target, "criterion", f"{kind}_step", f"{mode}_{shape}", "new",
                           "estimates.json")
        with open(est) as f:
            ms = json.load(f)["median"]["point_estimate"] / 1e6
        gflops = r["flops_per_step"] / (ms * 1e-3) / 1e9
        name = shape if mode == "train" else f"{shape}, inference"
        print(f"| {label.get(kind, kind)} | {name} | {ms:.3g} | {gflops:.1f} | "
              f"{r['ms_per_step']:.3g} | {r['gflops']:.1f} | {ms / r['ms_per_step']:.2f} |")
EOF
