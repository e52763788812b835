#!/usr/bin/env bash
# End-to-end character language model, seqzoo beside PyTorch (issue 13): the same recipe on the
# same file for the same number of steps, back to back, ROUNDS times alternating the two (default
# 1). Prints one markdown table: seconds (training + the one validation after the last step), ms
# per step, val nats/char, and the time ratio (seqzoo / PyTorch). Run by hand, never by CI.
#
#   benches/charlm_side_by_side.sh FILE [STEPS]          # default 6000 steps
#   ROUNDS=3 PYTHON=/path/to/python benches/charlm_side_by_side.sh FILE 300
#
# The recipe: 1-layer LSTM 256 (no layer norm: `--layer-norm false` overrides the large-text
# default), embedding 64, batch 32, window 64 (training windows every 32
# characters, validation on non-overlapping windows of the held-out 10%), Adam 2e-3, clip 5,
# cosine schedule over all steps. PYTHON defaults to /work/torch-venv/bin/python when present,
# else python3; it needs torch.
set -euo pipefail
cd "$(dirname "$0")/.."
FILE=${1:?usage: benches/charlm_side_by_side.sh FILE [STEPS]}
STEPS=${2:-6000}
ROUNDS=${ROUNDS:-1}
if [[ -z "${PYTHON:-}" ]]; then
    if [[ -x /work/torch-venv/bin/python ]]; then PYTHON=/work/torch-venv/bin/python; else PYTHON=python3; fi
fi
cargo build --release --bin seqzoo >/dev/null 2>&1
SEQZOO=${CARGO_TARGET_DIR:-target}/release/seqzoo
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

for round in $(seq "$ROUNDS"); do
    echo "== round $round: PyTorch" >&2
    "$PYTHON" benches/torch_charlm.py "$FILE" --steps "$STEPS" --json | tail -n 1 >"$OUT/torch_$round.json"
    echo "== round $round: seqzoo" >&2
    "$SEQZOO" train --task "text:$FILE" --model lstm --layers 1 --hidden 256 --embedding 64 \
        --layer-norm false --batch 32 --set window=64 --lr 2e-3 --clip 5 --schedule cosine \
        --steps "$STEPS" --val-every 0 --json | tail -n 1 >"$OUT/seqzoo_$round.json"
done

python3 - "$OUT" "$ROUNDS" "$STEPS" "$FILE" <<'PY'
import json, sys
out, rounds, steps, path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
def best(side):
    runs = [json.load(open(f"{out}/{side}_{r}.json")) for r in range(1, rounds + 1)]
    return min(runs, key=lambda r: r["seconds"])
s, t = best("seqzoo"), best("torch")
print(f"char LM on {path}, {steps} steps, best of {rounds} round(s)\n")
print("| | seconds | ms/step | val nats/char |")
print("|---|--:|--:|--:|")
for name, r in (("seqzoo", s), (f"PyTorch {t['torch']}", t)):
    print(f"| {name} | {r['seconds']:.1f} | {1000 * r['seconds'] / steps:.2f} | {r['val_nats']:.3f} |")
print(f"\nratio (seqzoo / PyTorch time): {s['seconds'] / t['seconds']:.2f}")
PY
