#!/usr/bin/python3
"""The Isolation Forest peer of the operational bench.

usage: iforest_peer.py TRAIN.csv ALL.csv WINDOW_SECONDS ALERTS.jsonl SCORES.csv

TRAIN and ALL are `flowsad aggregate` counters per (window, source). The
forest (scikit-learn, 200 trees, all features, fixed seed: its documented
defaults but for the tree count) learns log(1 + counter) of the training
samples; every sample of ALL is scored (higher: more anomalous), and the
alerts are the top 5 of a window whose score exceeds the highest training
score: the same protocol flowsad follows, written as flowsad's JSON lines
(event.start, source.ip, flowsad.score) and score CSV for the evaluator.
"""
import csv
import json
import math
import sys

from sklearn.ensemble import IsolationForest


def load(path, cols=None):
    """The samples of a counter file, and its counter columns (those of
    the training file, by name, when cols is given: a counter the other
    file lacks reads 0)."""
    rows = list(csv.DictReader(open(path)))
    if cols is None:
        cols = [c for c in rows[0] if c not in ("window_start", "src_ip")] if rows else []
    x = [[math.log1p(float(r.get(c) or 0)) for c in cols] for r in rows]
    return rows, x, cols


def main():
    train, x_train, cols = load(sys.argv[1])
    if not train:
        sys.exit(f"iforest_peer: no training samples in {sys.argv[1]}")
    rows, x, _ = load(sys.argv[2], cols)
    window = int(sys.argv[3])
    forest = IsolationForest(n_estimators=200, random_state=0).fit(x_train)
    threshold = max(-forest.score_samples(x_train))
    scores = -forest.score_samples(x) if x else []
    with open(sys.argv[5], "w") as f:
        f.write("window_start,src_ip,score,raw_score\n")
        for r, s in zip(rows, scores):
            f.write(f"{r['window_start']},{r['src_ip']},{s:.6f},{s:.6f}\n")
    by_window = {}
    for r, s in zip(rows, scores):
        by_window.setdefault(r["window_start"], []).append((s, r["src_ip"]))
    with open(sys.argv[4], "w") as f:
        for ws in sorted(by_window):
            for s, ip in sorted(by_window[ws], reverse=True)[:5]:
                if s > threshold:
                    doc = {"event": {"start": ws}, "source": {"ip": ip},
                           "flowsad": {"score": s, "window_seconds": window}}
                    f.write(json.dumps(doc) + "\n")


if __name__ == "__main__":
    main()
