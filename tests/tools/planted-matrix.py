#!/usr/bin/env python3
"""Writes a planted feature matrix as matrix CSV on stdout.

Normal rows are noisy points near a 3-dimensional subspace of R^D; every
20th row is an anomaly drawn off that subspace. Its src_ip starts with
"10.9." so that a test can tell the planted rows apart.

usage: planted-matrix.py ROWS DIM SEED [--label-anomalies N]
"""
import random
import sys


def main():
    rows, dim, seed = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    label_anomalies = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    # the subspace is the same for every seed: train and test files share it
    fixed = random.Random(0)
    basis = [[fixed.gauss(0, 1) for _ in range(dim)] for _ in range(3)]
    rng = random.Random(seed)
    print(",".join(["window_start", "src_ip"] + [f"f{j}" for j in range(dim)] + ["label"]))
    labelled = 0
    for i in range(rows):
        anomaly = i % 20 == 0
        if anomaly:
            x = [rng.gauss(0, 1.7) for _ in range(dim)]
        else:
            z = [rng.gauss(0, 1) for _ in range(3)]
            x = [sum(z[k] * basis[k][j] for k in range(3)) / 1.7 for j in range(dim)]
        x = [v + rng.gauss(0, 0.05) for v in x]
        label = 0
        if anomaly and labelled < label_anomalies:
            label, labelled = -1, labelled + 1
        ip = f"10.9.{i // 250}.{i % 250}" if anomaly else f"10.1.{i // 250}.{i % 250}"
        window = 1772370000 + 3600 * (i % 5)
        print(",".join([str(window), ip] + [f"{v:.6f}" for v in x] + [str(label)]))


if __name__ == "__main__":
    main()
