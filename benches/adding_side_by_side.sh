#!/usr/bin/env bash
# The adding problem at long T, seqzoo beside PyTorch with and without flushing subnormals: for each
# T, `seqzoo train --task adding --set t=T --model lstm --hidden 256 --batch 32 --steps STEPS`
# (the recipe's Adam lr 0.01 and clip 1) and benches/torch_adding.py, the same training, run once
# as PyTorch leaves subnormals and once with --flush-denormal (torch.set_flush_denormal(True));
# seqzoo's binary flushes subnormals (FTZ+DAZ) on every thread at start. ROUNDS times (default 1)
# alternating, the lowest per side kept. Prints one markdown table:
#   T | seqzoo ms | PyTorch ms | PyTorch flush ms | ratio to flush (seqzoo ms / PyTorch flush ms)
# all in ms per training step over the steps after the first. Run by hand, never by CI.
#
#   benches/adding_side_by_side.sh                      # T = 100 400 1600, 30 steps
#   benches/adding_side_by_side.sh 200 800
#   STEPS=3 TRAIN_SIZE=2000 benches/adding_side_by_side.sh 20        # smoke
#
# seqzoo's figure: the `seconds` of its `--json` summary count the training loop (drawing each
# batch, forward, backward, clip, Adam) and the one validation at the end (`--val-every 0`), and
# not the data preparation before it. The script runs seqzoo twice per T, with --steps 1 and
# --steps STEPS, everything else equal, and reports (seconds(STEPS) - seconds(1)) / (STEPS - 1):
# the validation, the first step and the start-up cancel, which is what PyTorch's figure is (the
# wall time of steps 2..STEPS over their number, batch drawing included, data generation not).
# The JSONL --log would only give times at validations, which would then be inside the loop.
# Neither --train-size (default TRAIN_SIZE=20000, the CLI's default, passed to both sides) nor
# --val-size (VAL_SIZE=32 here, so the end validation is short; PyTorch does not validate)
# changes a training step. STEPS must be at least 2. PYTHON defaults to
# /work/torch-venv/bin/python when present, else python3; it needs torch.
set -euo pipefail
cd "$(dirname "$0")/.."
TS=("$@")
[[ ${#TS[@]} -eq 0 ]] && TS=(100 400 1600)
STEPS=${STEPS:-30}
TRAIN_SIZE=${TRAIN_SIZE:-20000}
VAL_SIZE=${VAL_SIZE:-32}
ROUNDS=${ROUNDS:-1}
if (( STEPS < 2 )); then echo "STEPS must be at least 2" >&2; exit 2; fi
if [[ -z "${PYTHON:-}" ]]; then
    if [[ -x /work/torch-venv/bin/python ]]; then PYTHON=/work/torch-venv/bin/python; else PYTHON=python3; fi
fi
cargo build --release --bin seqzoo >/dev/null 2>&1
SEQZOO=${CARGO_TARGET_DIR:-target}/release/seqzoo
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

seqzoo_seconds() { # T STEPS -> the `seconds` of the run's JSON summary
    "$SEQZOO" train --task adding --set "t=$1" --model lstm --hidden 256 --batch 32 --steps "$2" \
        --val-every 0 --train-size "$TRAIN_SIZE" --val-size "$VAL_SIZE" --json 2>/dev/null \
        | tail -n 1 | "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["seconds"])'
}

for round in $(seq "$ROUNDS"); do
    for t in "${TS[@]}"; do
        echo "== round $round, T=$t: PyTorch" >&2
        "$PYTHON" benches/torch_adding.py --t "$t" --steps "$STEPS" --train-size "$TRAIN_SIZE" --json \
            | tail -n 1 >"$OUT/torch_${t}_$round.json"
        echo "== round $round, T=$t: PyTorch --flush-denormal" >&2
        "$PYTHON" benches/torch_adding.py --t "$t" --steps "$STEPS" --train-size "$TRAIN_SIZE" \
            --flush-denormal --json | tail -n 1 >"$OUT/flush_${t}_$round.json"
        echo "== round $round, T=$t: seqzoo" >&2
        one=$(seqzoo_seconds "$t" 1)
        all=$(seqzoo_seconds "$t" "$STEPS")
        echo "{\"one\": $one, \"all\": $all}" >"$OUT/seqzoo_${t}_$round.json"
    done
done

"$PYTHON" - "$OUT" "$ROUNDS" "$STEPS" "${TS[@]}" <<'EOF'
import json, os, platform, sys

out, rounds, steps, ts = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
def load(name):
    with open(os.path.join(out, name)) as f:
        return json.load(f)

first = load(f"torch_{ts[0]}_1.json")
print(f"Adding problem, LSTM 256, batch 32, Adam 0.01, clip 1, {steps} steps (ms per step over "
      f"steps 2..{steps}), best of {rounds} round(s); PyTorch {first['torch']}, "
      f"{first['threads']} threads, on {platform.node()}, {os.cpu_count()} CPUs, load average now "
      f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}")
if not load(f"flush_{ts[0]}_1.json")["flush_denormal_supported"]:
    print("(torch.set_flush_denormal(True) returned False: this CPU does not support it)")
print()
print("| T | seqzoo ms | PyTorch ms | PyTorch flush ms | ratio to flush |")
print("|--:|--:|--:|--:|--:|")
for t in ts:
    rs = range(1, rounds + 1)
    ours = min(1000 * (r["all"] - r["one"]) / (steps - 1)
               for r in (load(f"seqzoo_{t}_{k}.json") for k in rs))
    plain = min(load(f"torch_{t}_{k}.json")["ms_per_step"] for k in rs)
    flush = min(load(f"flush_{t}_{k}.json")["ms_per_step"] for k in rs)
    print(f"| {t} | {ours:.2f} | {plain:.2f} | {flush:.2f} | {ours / flush:.2f} |")
EOF
