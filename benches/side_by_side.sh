#!/usr/bin/env bash
# Side-by-side recurrent benchmark (issue 3): for each cell kind, runs the PyTorch script and then the
# criterion bench back to back, ROUNDS times (default 3) alternating the two, and prints one markdown
# table: seqzoo ms, GFLOP/s, PyTorch ms, GFLOP/s, ratio (seqzoo time / PyTorch time), each side's
# time the lowest of its rounds' medians (a shared machine only ever makes a round slower). Run by
# hand, never by CI (torch is optional).
#
#   benches/side_by_side.sh                 # lstm,gru,srn
#   KINDS=lstm SECONDS_PER_SHAPE=2 ROUNDS=1 benches/side_by_side.sh
#   PYTHON=/path/to/python benches/side_by_side.sh
#
# PYTHON defaults to /work/torch-venv/bin/python when present, else python3; it needs torch. The criterion
# estimates are read from $CARGO_TARGET_DIR (default target)/criterion; FLOPs per training step are
# 3·2·B·T·(I+H)·G·H (one third for inference), as in both benches.
set -euo pipefail
cd "$(dirname "$0")/.."
KINDS=${KINDS:-lstm,gru,srn}
SECONDS_PER_SHAPE=${SECONDS_PER_SHAPE:-3}
ROUNDS=${ROUNDS:-3}
if [[ -z "${PYTHON:-}" ]]; then
    if [[ -x /work/torch-venv/bin/python ]]; then PYTHON=/work/torch-venv/bin/python; else PYTHON=python3; fi
fi
TARGET=${CARGO_TARGET_DIR:-target}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

cargo bench --bench recurrent_step --no-run >/dev/null 2>&1
for round in $(seq "$ROUNDS"); do
    for kind in ${KINDS//,/ }; do
        torch_kind=$kind
        [[ $kind == srn ]] && torch_kind=rnn
        echo "== round $round, $kind: PyTorch" >&2
        "$PYTHON" benches/torch_lstm.py --kind "$torch_kind" --seconds "$SECONDS_PER_SHAPE" --json \
            | tail -n 1 >"$OUT/torch_${kind}_$round.json"
        echo "== round $round, $kind: seqzoo" >&2
        rm -rf "$TARGET/criterion/${kind}_step"
        SEQZOO_BENCH_KINDS=$kind cargo bench --bench recurrent_step -- --noplot \
            >"$OUT/criterion_$kind.log" 2>&1
        mkdir -p "$OUT/criterion_${kind}_$round"
        cp -r "$TARGET/criterion/${kind}_step" "$OUT/criterion_${kind}_$round/"
    done
done

"$PYTHON" - "$OUT" "$ROUNDS" "$KINDS" <<'EOF'
import json, os, platform, sys

out, rounds, kinds = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(",")
label = {"lstm": "LSTM", "gru": "GRU", "srn": "SRN (tanh)"}
print(f"Side by side on {platform.node()}, {os.cpu_count()} CPUs, load average now "
      f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}")
print()
print("| cell | shape | seqzoo ms | GFLOP/s | PyTorch ms | GFLOP/s | ratio |")
print("|---|---|--:|--:|--:|--:|--:|")
for kind in kinds:
    torch_rounds = []
    for r in range(1, rounds + 1):
        with open(os.path.join(out, f"torch_{kind}_{r}.json")) as f:
            torch_rounds.append(json.load(f)["results"])
    for i, row in enumerate(torch_rounds[0]):
        mode, shape = row["mode"], row["shape"]
        torch_ms = min(rs[i]["ms_per_step"] for rs in torch_rounds)
        ours = []
        for r in range(1, rounds + 1):
            est = os.path.join(out, f"criterion_{kind}_{r}", f"{kind}_step", f"{mode}_{shape}",
                               "new", "estimates.json")
            with open(est) as f:
                ours.append(json.load(f)["median"]["point_estimate"] / 1e6)
        ms = min(ours)
        flops = row["flops_per_step"]
        name = shape if mode == "train" else f"{shape}, inference"
        print(f"| {label.get(kind, kind)} | {name} | {ms:.3g} | {flops / (ms * 1e-3) / 1e9:.1f} | "
              f"{torch_ms:.3g} | {flops / (torch_ms * 1e-3) / 1e9:.1f} | {ms / torch_ms:.2f} |")
EOF
