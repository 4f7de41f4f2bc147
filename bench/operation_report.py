#!/usr/bin/python3
"""The tables of BENCH=operation (bench/operation.sh), from the evaluator's
JSON (tests/tools/alert-eval.py) of each run of each lab.

usage: operation_report.py first LABELS
           the first episode's start (the end of the benign period)
       operation_report.py lab NAME DIR LABELS CAPTURE_START [FINISHED]
           one lab's table; DIR holds RUN.json for each run of the table
       operation_report.py summary ROOT RUNS NAME...
           for each run the worst lab (fewest episodes alerted, then the
           lowest precision) and the mean over the labs; ROOT/NAME/RUN.json
RUNS, FINISHED: the runs that ran (names separated by spaces; the other
runs' rows are left out); a row whose JSON is missing says the run failed.
"""
import csv
import json
import math
import sys

ROWS = [
    ("a-pcap", "flowsad (a) pcap"),
    ("a-v9", "flowsad (a) NetFlow v9"),
    ("b-pcap", "flowsad (b) cold start, pcap"),
    ("b-v9", "flowsad (b) cold start, NetFlow v9"),
    ("if-pcap", "Isolation Forest (a) pcap"),
    ("if-v9", "Isolation Forest (a) NetFlow v9"),
    ("c-pcap-once", "attacks in training, one pass"),
    ("c-pcap-robust", "attacks in training, robust pass"),
]
NAME_W = max(len(n) for _, n in ROWS)
nan = float("nan")


def episodes(labels):
    return [r for r in csv.DictReader(open(labels, newline="")) if r.get("src_ip")]


def load(path):
    try:
        return json.load(open(path))
    except FileNotFoundError:
        return None


def num(v):
    return nan if v is None else float(v)


COLS = (("alerts", 6), ("precision", 9), ("episodes", 8), ("delay s", 9), ("false/10 h·h", 12),
        ("answering", 9), ("AUC", 6))


def head(lab_w=0):
    cols = [("run", NAME_W)] + ([("lab", lab_w)] if lab_w else []) + list(COLS)
    print("| " + " | ".join(c.ljust(w) if i < 1 + bool(lab_w) else c.rjust(w)
                             for i, (c, w) in enumerate(cols)) + " |")
    print("|" + "|".join("-" * (w + 2) for _, w in cols) + "|")


def lead(name, lab_w, lab):
    return "| %-*s |" % (NAME_W, name) + (" %-*s |" % (lab_w, lab) if lab_w else "")


def row(name, e, lab_w=0, lab=""):
    print(lead(name, lab_w, lab) + " %6d | %9.2f | %5d/%-2d | %4s/%-4s | %12.1f | %9d | %6.3f |" % (
        e["alerts"], num(e["precision"]), e["episodes_alerted"], e["episodes"],
        "%.0f" % num(e["delay_median"]), "%.0f" % num(e["delay_max"]),
        num(e.get("false_per_10_host_hours")), e.get("answering_false", 0), num(e.get("auc"))))


def missing_row(name, why):
    print("| %-*s | %s |" % (NAME_W, name, why))


def lab(name, d, labels, capture_start, finished=None):
    ran = None if finished is None else set(finished.split())
    eps = episodes(labels)
    benign_end = min(int(r["start_epoch"]) for r in eps)
    print(f"### Lab {name}")
    print()
    head()
    for run, title in ROWS:
        if ran is not None and run not in ran:
            continue
        e = load(f"{d}/{run}.json")
        if e is None:
            missing_row(title, f"failed: see {run}.log")
        else:
            row(title, e)
    print()
    notes = [f"{len(eps)} episodes: {' '.join(r['kind'] for r in eps)}",
             f"benign period {(benign_end - int(capture_start)) // 60} min"]
    for run, title in ROWS:
        e = load(f"{d}/{run}.json") if ran is None or run in ran else None
        if e is None or not run.startswith(("a-", "b-")):
            continue
        bits = []
        if e.get("missed_detail"):
            bits.append("missed " + ", ".join(f"{m['kind']} ({m['src']})" for m in e["missed_detail"]))
        if e.get("late"):
            bits.append("late " + ", ".join(f"{m['kind']} ({m['delay']} s)" for m in e["late"]))
        if e.get("slow_episodes"):
            slow = num(e.get("slow_delay_max"))
            bits.append("slow episodes not alerted" if math.isnan(slow)
                        else "slow episodes' delay at most %.0f s" % slow)
        if "incidents" in e:
            bits.append(f"incidents {e['incidents_true']} true, {e['incidents_false']} false")
        if bits:
            notes.append(f"{run}: " + "; ".join(bits))
    print("(" + ";\n".join(notes) + ")")
    print()


def mean(values):
    v = [x for x in values if not math.isnan(x)]
    return sum(v) / len(v) if v else nan


def summary(root, runs, names):
    ran = set(runs.split())
    print(f"### Over {len(names)} labs: for each run the worst lab (fewest episodes alerted, then "
          "the lowest precision), then the mean")
    print()
    lab_w = max([4] + [len(n) for n in names] + [len(f"mean of {len(names)}")])
    head(lab_w)
    for run, title in ROWS:
        if run not in ran:
            continue
        got = [(n, e) for n in names if (e := load(f"{root}/{n}/{run}.json")) is not None]
        if not got:
            continue

        def badness(item):
            e = item[1]
            share = e["episodes_alerted"] / e["episodes"] if e["episodes"] else 1.0
            p = num(e["precision"])
            return (share, -1.0 if math.isnan(p) else p)

        worst_name, worst = min(got, key=badness)
        row(title, worst, lab_w, worst_name)
        es = [e for _, e in got]
        m = lambda k: mean([num(e.get(k)) for e in es])
        print(lead("", lab_w, f"mean of {len(got)}") + " %6.1f | %9.2f | %8s | %4s/%-4s | %12.1f | %9.1f | %6.3f |" % (
            m("alerts"), m("precision"), "%.1f/%.3g" % (m("episodes_alerted"), m("episodes")),
            "%.0f" % m("delay_median"), "%.0f" % m("delay_max"),
            m("false_per_10_host_hours"), m("answering_false"), m("auc")))
    print()


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "first":
        print(min(int(r["start_epoch"]) for r in episodes(args[0])))
    elif cmd == "lab":
        lab(*args)
    elif cmd == "summary":
        summary(args[0], args[1], args[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
