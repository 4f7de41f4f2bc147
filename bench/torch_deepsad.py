#!/usr/bin/python3
"""The PyTorch peer of bench/speed.c: the same network, losses, optimiser and
batch size on the same rows, timed the same way.

Configured as PyTorch documents for best CPU speed, so that the comparison is
fair: run it with OMP_WAIT_POLICY=PASSIVE (bench/run.sh does; OpenMP threads
that busy-wait fight each other on a small machine), THREADS intra-op
threads (torch.set_num_threads), the L2 term as Adam's own weight_decay (one
fused update instead of extra graph nodes each step: weight_decay = 2 * lam
is the gradient of lam * sum(w^2)), He-normal initialisation as flowsad's,
and scoring under torch.inference_mode().

usage: torch_deepsad.py DATA.f32 ROWS DIM EPOCHS THREADS
prints: "pytorch PRETRAIN_S_PER_EPOCH TRAIN_S_PER_EPOCH SCORE_ROWS_PER_S"
"""
import sys
import time

import numpy as np
import torch
from torch import nn

HIDDEN = [128, 128, 64, 64, 32]


LAM = 1e-6


def dense_stack(sizes, last_activation):
    layers = []
    for i in range(len(sizes) - 1):
        layer = nn.Linear(sizes[i], sizes[i + 1], bias=False)
        nn.init.kaiming_normal_(layer.weight, nonlinearity="leaky_relu", a=0.3)
        layers.append(layer)
        if i < len(sizes) - 2 or last_activation:
            layers.append(nn.LeakyReLU(0.3))
    return nn.Sequential(*layers)


def run_epochs(model, loss_of, x, epochs, lr, batch):
    opt = torch.optim.Adam(model.parameters(), lr=lr, eps=1e-7, weight_decay=2 * LAM)
    seconds = []
    n = x.shape[0]
    for _ in range(epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(n)
        for start in range(0, n, batch):
            xb = x[perm[start:start + batch]]
            opt.zero_grad(set_to_none=True)
            loss = loss_of(model(xb), xb)
            loss.backward()
            opt.step()
        seconds.append(time.perf_counter() - t0)
    return sum(seconds) / len(seconds)


def main():
    path, rows, dim, epochs, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
        int(sys.argv[4]), int(sys.argv[5])
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    x = torch.from_numpy(np.fromfile(path, dtype="<f4").reshape(rows, dim).copy())
    # the flowsad run standardises its input; so does this one
    x = (x - x.mean(0)) / x.std(0, unbiased=False).clamp_min(1e-12)

    encoder = dense_stack([dim] + HIDDEN, last_activation=False)
    decoder = dense_stack(HIDDEN[::-1] + [dim], last_activation=False)
    autoencoder = nn.Sequential(encoder, nn.LeakyReLU(0.3), decoder)
    pre = run_epochs(autoencoder, lambda out, xb: ((out - xb) ** 2).mean(), x, epochs, 1e-4, 64)

    with torch.no_grad():
        c = encoder(x).mean(0)
        c[(c.abs() < 0.1) & (c < 0)] = -0.1
        c[(c.abs() < 0.1) & (c >= 0)] = 0.1
    train = run_epochs(encoder, lambda out, xb: ((out - c) ** 2).sum(1).mean(), x, epochs, 1e-4, 64)

    best = float("inf")
    with torch.inference_mode():
        for _ in range(5):
            t0 = time.perf_counter()
            for start in range(0, rows, 1024):
                ((encoder(x[start:start + 1024]) - c) ** 2).sum(1)
            best = min(best, time.perf_counter() - t0)
    print(f"pytorch {pre:.4f} {train:.4f} {rows / best:.0f}")


if __name__ == "__main__":
    main()
