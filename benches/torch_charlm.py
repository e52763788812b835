"""PyTorch side of the end-to-end character language model benchmark.

Run by hand (not by CI) from the repository root with a Python that has torch:

    /path/to/python benches/torch_charlm.py FILE --steps 6000
    /path/to/python benches/torch_charlm.py FILE --steps 300 --json    # one JSON line at the end

The same recipe as `seqzoo train --task text:FILE --model lstm --layers 1 --hidden 256
--embedding 64 --batch 32 --set window=64 --lr 2e-3 --clip 5 --schedule cosine`:
- the file is read as UTF-8 and split by characters: the first 90% trains, the rest validates;
- the vocabulary is the training part's characters (a validation character outside it maps to one
  extra id, as an unknown token);
- training examples are windows of 64 characters every 32 (input chars[s:s+64], targets
  chars[s+1:s+65]), shuffled each epoch with a seeded generator, in batches of 32 (the last, short
  batch of an epoch kept);
- validation reads non-overlapping windows of 64 of the held-out 10% (every 64 characters) and
  reports the mean cross-entropy in nats per character;
- the model is Embedding(V, 64) -> LSTM(64, 256, batch_first) -> Linear(256, V), with PyTorch's
  default initialization (seqzoo initializes the same way: N(0, 1) embeddings, U(+-1/sqrt(H))
  recurrent weights, U(+-1/sqrt(in)) read-out);
- the loss is the mean cross-entropy over every position of the batch; Adam (lr 2e-3, betas 0.9,
  0.999, eps 1e-8), the gradient clipped to a global norm of 5, the rate annealed by a cosine over
  all steps (CosineAnnealingLR, T_max = steps).

Uses 2 threads (torch.set_num_threads(2)), float32, CPU. Prints ms per training step (the
training loop's wall time over the steps), the time of the one validation pass after the last
step, and val nats/char; with --json also `seconds` = training + validation, the figure seqzoo's
`--json` reports for a run validated only at the end (`--val-every 0`).
"""

import argparse
import json
import math
import time

import torch
from torch import nn

TRAIN_FRACTION = 0.9


def load(path, window):
    """Training windows' starts, the id streams and the vocabulary size of the text at `path`."""
    with open(path, encoding="utf-8") as f:
        chars = list(f.read())
    cut = int(len(chars) * TRAIN_FRACTION)
    vocab = {c: i for i, c in enumerate(sorted(set(chars[:cut])))}
    unknown = len(vocab)
    ids = torch.tensor([vocab.get(c, unknown) for c in chars], dtype=torch.long)
    train, val = ids[:cut], ids[cut:]
    if len(train) < window + 1 or len(val) < window + 1:
        raise SystemExit(f"{path}: {len(chars)} characters are too few for windows of {window}")
    return train, val, unknown + 1


def windows(ids, window, stride):
    """Input and target windows of `ids` starting every `stride` ids: two [N, window] tensors."""
    count = (len(ids) - 1 - window) // stride + 1
    starts = torch.arange(count) * stride
    offsets = torch.arange(window)
    index = starts[:, None] + offsets[None, :]
    return ids[index], ids[index + 1]


class CharLm(nn.Module):
    """Embedding, one LSTM layer, linear read-out to the vocabulary."""

    def __init__(self, vocab, embedding, hidden):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embedding)
        self.rnn = nn.LSTM(embedding, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, x):
        out, _ = self.rnn(self.embedding(x))
        return self.head(out)


def validate(model, xs, ys, batch):
    """Mean cross-entropy in nats per character over every validation window."""
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for s in range(0, len(xs), batch):
            logits = model(xs[s : s + batch])
            y = ys[s : s + batch]
            total += nn.functional.cross_entropy(
                logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum"
            ).item()
            count += y.numel()
    model.train()
    return total / count


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("file")
    parser.add_argument("--steps", type=int, default=6000)
    parser.add_argument("--window", type=int, default=64)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--embedding", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--clip", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    train, val, vocab = load(args.file, args.window)
    train_x, train_y = windows(train, args.window, args.window // 2)
    val_x, val_y = windows(val, args.window, args.window)
    model = CharLm(vocab, args.embedding, args.hidden)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.steps)
    generator = torch.Generator().manual_seed(args.seed)

    step, order, at = 0, torch.randperm(len(train_x), generator=generator), 0
    start = time.perf_counter()
    while step < args.steps:
        if at >= len(order):
            order, at = torch.randperm(len(train_x), generator=generator), 0
        index = order[at : at + args.batch]
        at += args.batch
        logits = model(train_x[index])
        loss = nn.functional.cross_entropy(
            logits.reshape(-1, vocab), train_y[index].reshape(-1)
        )
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        optimizer.step()
        schedule.step()
        step += 1
    train_seconds = time.perf_counter() - start
    start = time.perf_counter()
    nats = validate(model, val_x, val_y, args.batch)
    val_seconds = time.perf_counter() - start

    result = {
        "steps": args.steps,
        "seconds": train_seconds + val_seconds,
        "train_seconds": train_seconds,
        "ms_per_step": 1000.0 * train_seconds / args.steps,
        "val_seconds": val_seconds,
        "val_nats": nats,
        "val_bpc": nats / math.log(2),
        "train_windows": len(train_x),
        "val_windows": len(val_x),
        "vocab": vocab,
        "torch": torch.__version__,
        "threads": args.threads,
    }
    print(
        f"PyTorch {torch.__version__}, {args.threads} threads: {args.steps} steps, "
        f"{result['ms_per_step']:.2f} ms/step, validation {val_seconds:.2f} s, "
        f"val {nats:.4f} nats/char"
    )
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
