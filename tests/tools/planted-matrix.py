#!/usr/bin/env python3
"""Writes a planted feature matrix as matrix CSV on stdout.

Normal rows are noisy points near a 3-dimensional subspace of R^D; every
20th row is an anomaly drawn off that subspace. Its src_ip starts with
"10.9." so that a test can tell the planted rows apart.

usage: planted-matrix.py ROWS DIM SEED [--label-anomalies N] [--spike J] [--zero-column]
  --label-anomalies N  label the first N anomalies -1
  --spike J            anomalies are normal rows with feature fJ raised by 6
  --zero-column        add a feature "zero" that is always 0
"""
import argparse
import random


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("rows", type=int)
    ap.add_argument("dim", type=int)
    ap.add_argument("seed", type=int)
    ap.add_argument("--label-anomalies", type=int, default=0)
    ap.add_argument("--spike", type=int, default=-1)
    ap.add_argument("--zero-column", action="store_true")
    a = ap.parse_args()
    rows, dim, seed, label_anomalies = a.rows, a.dim, a.seed, a.label_anomalies
    # the subspace is the same for every seed: train and test files share it
    fixed = random.Random(0)
    basis = [[fixed.gauss(0, 1) for _ in range(dim)] for _ in range(3)]
    rng = random.Random(seed)
    zero = ["zero"] if a.zero_column else []
    print(",".join(["window_start", "src_ip"] + [f"f{j}" for j in range(dim)] + zero + ["label"]))
    labelled = 0
    for i in range(rows):
        anomaly = i % 20 == 0
        if anomaly and a.spike < 0:
            x = [rng.gauss(0, 1.7) for _ in range(dim)]
        else:
            z = [rng.gauss(0, 1) for _ in range(3)]
            x = [sum(z[k] * basis[k][j] for k in range(3)) / 1.7 for j in range(dim)]
            if anomaly:
                x[a.spike] += 6
        x = [v + rng.gauss(0, 0.05) for v in x]
        label = 0
        if anomaly and labelled < label_anomalies:
            label, labelled = -1, labelled + 1
        ip = f"10.9.{i // 250}.{i % 250}" if anomaly else f"10.1.{i // 250}.{i % 250}"
        window = 1772370000 + 3600 * ((i // 7) % 5)  # anomalies fall in every window
        print(",".join([str(window), ip] + [f"{v:.6f}" for v in x] + ["0"] * len(zero) + [str(label)]))


if __name__ == "__main__":
    main()
