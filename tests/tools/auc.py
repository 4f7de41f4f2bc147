#!/usr/bin/env python3
"""AUC of `flowsad score` CSV output on stdin, positives = src_ip with a prefix.

usage: flowsad score ... | auc.py PREFIX
"""
import csv
import sys


def main():
    prefix = sys.argv[1]
    rows = list(csv.DictReader(sys.stdin))
    pos = [float(r["raw_score"]) for r in rows if r["src_ip"].startswith(prefix)]
    neg = [float(r["raw_score"]) for r in rows if not r["src_ip"].startswith(prefix)]
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    print(f"{wins / (len(pos) * len(neg)):.4f}")


if __name__ == "__main__":
    main()
