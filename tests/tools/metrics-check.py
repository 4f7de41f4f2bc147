#!/usr/bin/env python3
"""Checks a Prometheus text scrape the way flowsad's metrics are meant to be:

  metrics-check.py SCRAPE [MANPAGE]

- each family together: its HELP, its TYPE, then its samples, with no other
  family's lines between and no family written twice;
- names as Prometheus' naming guide has them: a counter ends in _total, a
  gauge does not; a gauge in seconds says what it is (a _timestamp_seconds
  point in time, a _duration_seconds span; process_start_time_seconds is the
  standard one);
- with MANPAGE, every family is documented there (flowsad_ left off).

Prints one line per fault ("SCRAPE:LINE: ...") and exits 1 if there is any.
"""
import re
import sys

SAMPLE = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$")
COMMENT = re.compile(r"# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$")
STANDARD_SECONDS = {"process_start_time_seconds"}


def naming_faults(name, kind):
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        yield f"{name}: not a snake_case name"
    if kind == "counter" and not name.endswith("_total"):
        yield f"{name}: a counter's name ends in _total"
    if kind == "gauge" and name.endswith("_total"):
        yield f"{name}: a gauge's name does not end in _total"
    if (kind == "gauge" and name.endswith("_seconds") and name not in STANDARD_SECONDS
            and not name.endswith(("_timestamp_seconds", "_duration_seconds"))):
        yield f"{name}: a gauge in seconds is a _timestamp_seconds or a _duration_seconds"


def check(path, manpage=None):
    faults = []
    done = set()        # families whose lines are over
    current = None      # the family being written
    kinds = {}
    helped = set()
    for number, line in enumerate(open(path), 1):
        line = line.rstrip("\n")
        where = f"{path}:{number}"
        if not line:
            continue
        comment = COMMENT.match(line)
        if comment:
            what, name, rest = comment.groups()
            if name != current:
                if current:
                    done.add(current)
                if name in done:
                    faults.append(f"{where}: {name}: its family was written before, apart")
                current = name
            if what == "HELP":
                if name in helped:
                    faults.append(f"{where}: {name}: a second HELP")
                helped.add(name)
            else:
                if name in kinds:
                    faults.append(f"{where}: {name}: a second TYPE")
                if name not in helped:
                    faults.append(f"{where}: {name}: TYPE before (or without) HELP")
                kinds[name] = rest
                faults.extend(f"{where}: {f}" for f in naming_faults(name, rest))
            continue
        if line.startswith("#"):
            continue
        sample = SAMPLE.match(line)
        if not sample:
            faults.append(f"{where}: not a sample line")
            continue
        name = sample.group(1)
        if name != current or name not in kinds:
            faults.append(f"{where}: {name}: a sample away from its family's HELP and TYPE")
        try:
            float(sample.group(3))
        except ValueError:
            faults.append(f"{where}: {name}: the value is no number")
    if manpage:
        text = open(manpage).read().replace("\\-", "-").replace("\\_", "_")
        for name in sorted(kinds):
            short = name[len("flowsad_"):] if name.startswith("flowsad_") else name
            if not re.search(r"(?<![a-z0-9_])" + re.escape(short) + r"(?![a-z0-9_])", text):
                faults.append(f"{path}: {name}: not documented in {manpage}")
    return faults


def main():
    faults = check(*sys.argv[1:3])
    for f in faults:
        print(f)
    return 1 if faults else 0


if __name__ == "__main__":
    sys.exit(main())
