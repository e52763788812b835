"""PyTorch side of the adding-problem timing at long T (benches/adding_side_by_side.sh), with and
without flushing subnormals.

Run by hand (not by CI) from the repository root with a Python that has torch:

    /path/to/python benches/torch_adding.py --t 1600                    # PyTorch defaults
    /path/to/python benches/torch_adding.py --t 1600 --flush-denormal   # torch.set_flush_denormal(True)
    /path/to/python benches/torch_adding.py --t 20 --steps 3 --json     # one JSON line at the end

What `seqzoo train --task adding --set t=T --hidden 256 --batch 32 --steps 30 --model lstm`
trains (the task's recipe, datasets/src/synthetic/adding.rs, with those flags replacing its model
size, batch and steps):
- the modern adding problem (Arjovsky et al. 2016): each example is T steps of two channels, a
  value U[0, 1) and a marker that is 1 at one step drawn uniformly in the first half (steps
  0..T/2) and one in the second half, 0 elsewhere; the target is the sum of the two marked
  values; --train-size examples (default 20000, the CLI's default), drawn once with a seeded
  generator (other numbers than seqzoo's, the same distribution);
- the model: nn.LSTM(2, 256, batch_first=True), one layer, unidirectional, h0 = c0 = 0, and
  nn.Linear(256, 1) on the last hidden state h_n (seqzoo's sequence model reads h_n, not
  per-step outputs); PyTorch's default initialization, which seqzoo's matches (U(+-1/sqrt(H))
  recurrent weights, U(+-1/sqrt(in)) read-out);
- the loss: mean squared error of the [B, 1] prediction; Adam (lr 0.01, the recipe's, betas 0.9,
  0.999, eps 1e-8), the gradient clipped to a global norm of 1 (the recipe's clip), batches of 32
  in an order reshuffled every epoch, --steps steps (default 30).

Uses 2 threads (torch.set_num_threads(2)), float32, CPU, subnormals as PyTorch leaves them unless
--flush-denormal (seqzoo's binary flushes them on every thread at start). Each step is timed from
drawing the batch to the end of the optimizer step; ms_per_step is the wall time of the steps
after the first over their number (the first pays one-time setup), ms_median their median.
Data generation is not timed.
"""

import argparse
import json
import statistics
import time

import torch
from torch import nn


def adding_data(n, t, generator):
    """`n` adding-problem examples of `t` steps: inputs [n, t, 2] and targets [n, 1]."""
    half = t // 2
    values = torch.rand(n, t, generator=generator)
    first = torch.randint(0, half, (n,), generator=generator)
    second = half + torch.randint(0, t - half, (n,), generator=generator)
    rows = torch.arange(n)
    markers = torch.zeros(n, t)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    target = (values[rows, first] + values[rows, second]).unsqueeze(1)
    return torch.stack([values, markers], dim=2), target


class Adder(nn.Module):
    """One LSTM layer, a linear read-out of the last hidden state."""

    def __init__(self, hidden):
        super().__init__()
        self.rnn = nn.LSTM(2, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x):
        _, (h_n, _) = self.rnn(x)
        return self.head(h_n[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--t", type=int, default=100, help="sequence length T")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--clip", type=float, default=1.0, help="global norm (0: none)")
    parser.add_argument("--train-size", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--flush-denormal", action="store_true",
                        help="torch.set_flush_denormal(True) before anything runs")
    parser.add_argument("--json", action="store_true", help="also print one JSON line at the end")
    args = parser.parse_args()
    if args.steps < 2:
        parser.error("--steps must be at least 2 (the first step is not timed)")

    torch.set_num_threads(args.threads)
    flushed = torch.set_flush_denormal(True) if args.flush_denormal else False
    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    xs, ys = adding_data(args.train_size, args.t, generator)
    model = Adder(args.hidden)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.MSELoss()

    order, at = torch.randperm(len(xs), generator=generator), 0
    times, loss = [], float("nan")
    for _ in range(args.steps):
        start = time.perf_counter()
        if at + args.batch > len(order):
            order, at = torch.randperm(len(xs), generator=generator), 0
        index = order[at : at + args.batch]
        at += args.batch
        loss_t = loss_fn(model(xs[index]), ys[index])
        optimizer.zero_grad(set_to_none=True)
        loss_t.backward()
        if args.clip > 0:
            nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        optimizer.step()
        loss = loss_t.item()
        times.append(time.perf_counter() - start)

    timed = times[1:]
    result = {
        "T": args.t,
        "steps": args.steps,
        "flush_denormal": args.flush_denormal,
        "flush_denormal_supported": flushed,
        "ms_per_step": 1000.0 * sum(timed) / len(timed),
        "ms_median": 1000.0 * statistics.median(timed),
        "first_step_ms": 1000.0 * times[0],
        "train_loss": loss,
        "torch": torch.__version__,
        "threads": args.threads,
    }
    print(
        f"PyTorch {torch.__version__}, {args.threads} threads, adding T={args.t}, "
        f"flush denormal {'on' if flushed else 'off'}: {result['ms_per_step']:.2f} ms/step "
        f"(median {result['ms_median']:.2f}) over steps 2..{args.steps}, "
        f"first step {result['first_step_ms']:.1f} ms, last loss {loss:.4f}"
    )
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
