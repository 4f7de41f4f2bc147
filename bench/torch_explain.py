#!/usr/bin/python3
"""The PyTorch peer of bench/explain.c: expected gradients with autograd, the
computation SHAP's GradientExplainer performs, on the same rows.

usage: torch_explain.py DATA.f32 ROWS DIM THREADS
prints: "pytorch SECONDS_FOR_5_ROWS" (best of 5 repetitions)
"""
import sys
import time

import numpy as np
import torch
from torch import nn

HIDDEN = [128, 128, 64, 64, 32]


def main():
    path, rows, dim, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    x = torch.from_numpy(np.fromfile(path, dtype="<f4").reshape(rows, dim)[:105].copy())
    sizes = [dim] + HIDDEN
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1], bias=False))
        if i < len(sizes) - 2:
            layers.append(nn.LeakyReLU(0.3))
    encoder = nn.Sequential(*layers)
    c = torch.full((HIDDEN[-1],), 0.1)
    background = x[:100]
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        for i in range(5):
            row = x[100 + i]
            idx = torch.randint(0, 100, (200,))
            alpha = torch.rand(200, 1)
            b = background[idx]
            points = (b + alpha * (row - b)).requires_grad_(True)
            score = ((encoder(points) - c) ** 2).sum()
            (grad,) = torch.autograd.grad(score, points)
            (grad * (row - b)).mean(0)
        best = min(best, time.perf_counter() - t0)
    print(f"pytorch {best:.4f}")


if __name__ == "__main__":
    main()
