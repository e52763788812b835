#!/usr/bin/env bash
# The GEMM table (issue 13): PyTorch's torch.matmul (MKL) on 1 and 2 threads beside seqzoo's gemm
# on 1 and 2 threads and matrixmultiply on one, at the shapes of benches/gemm_shapes.json, in one
# run. Prints a markdown table in GFLOP/s and seqzoo's share of MKL on 2 threads. Run by hand,
# never by CI (torch is optional).
#
#   benches/gemm_side_by_side.sh [SECONDS_PER_CASE]       # default 1
#
# PYTHON defaults to /work/torch-venv/bin/python when present, else python3; it needs torch.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_CASE=${1:-1}
if [[ -z "${PYTHON:-}" ]]; then
    if [[ -x /work/torch-venv/bin/python ]]; then PYTHON=/work/torch-venv/bin/python; else PYTHON=python3; fi
fi
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
cargo build --release --example gemm_table >/dev/null 2>&1
echo "== PyTorch" >&2
"$PYTHON" benches/torch_gemm.py "$SECONDS_PER_CASE" >"$OUT/torch.jsonl"
echo "== seqzoo" >&2
"${CARGO_TARGET_DIR:-target}/release/examples/gemm_table" "$SECONDS_PER_CASE" >"$OUT/seqzoo.jsonl"
python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
shapes = {s["name"]: s for s in json.load(open("benches/gemm_shapes.json"))}
torch = {r["name"]: r for r in map(json.loads, open(f"{out}/torch.jsonl"))}
ours = {r["name"]: r for r in map(json.loads, open(f"{out}/seqzoo.jsonl"))}
print("| product | m×k×n | MKL 1t | MKL 2t | seqzoo 1t | seqzoo 2t | matrixmultiply 1t | seqzoo/MKL 2t |")
print("|---|---|--:|--:|--:|--:|--:|--:|")
for name, s in shapes.items():
    t, o = torch[name], ours[name]
    tr = ("ᵀ" if s["ta"] else "") + "·" + ("ᵀ" if s["tb"] else "")
    print(f"| {name} | {s['m']}×{s['k']}×{s['n']} ({tr}) | {t['mkl_1t']:.0f} | {t['mkl_2t']:.0f} "
          f"| {o['seqzoo_1t']:.0f} | {o['seqzoo_2t']:.0f} | {o['matrixmultiply_1t']:.0f} "
          f"| {100 * o['seqzoo_2t'] / t['mkl_2t']:.0f}% |")
PY
