#!/usr/bin/env python3
"""Checks flowsad's Grafana dashboard against what the daemon exports:

  dashboard-check.py DASHBOARD SCRAPE [MANPAGE] [--rules RULES]

- DASHBOARD parses as JSON and has a dashboard's shape: a title, a uid
  Grafana takes (at most 40 letters, digits, '-' and '_'), panels with
  unique ids, a type, a title and a place on the 24-column grid, and each
  panel but rows and text a list of targets with a refId and a PromQL expr;
- every datasource, the panels' and the targets', is the templated one (a
  datasource variable), so that the dashboard imports into any Grafana
  whatever its Prometheus is called; every variable an expression uses is
  defined, or one of Grafana's own ($__rate_interval, ...);
- every metric name an expression (or a variable's query) reads is a
  family of the Prometheus text scrape SCRAPE (its # TYPE line: a family
  with no samples yet, such as a capture's counters in a daemon without
  live captures, still counts) and, with MANPAGE, is documented there
  (flowsad_ left off, as metrics-check.py looks for it).

With --rules, the expressions are also written to RULES as a Prometheus
rules file, Grafana's variables given plain values, for `promtool check
rules` to parse them as Prometheus would.

Prints one line per fault ("DASHBOARD: ...") and exits 1 if there is any.
"""
import json
import re
import sys

GRID_COLUMNS = 24
UID = re.compile(r"[A-Za-z0-9_-]{1,40}")
VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]")
GRAFANA_VARIABLES = {"__rate_interval", "__interval", "__interval_ms", "__range",
                     "__range_s", "__range_ms", "__from", "__to", "__dashboard",
                     "__org", "__user"}
# what Grafana's duration variables stand for, for promtool
DURATIONS = {"__rate_interval": "5m", "__interval": "1m", "__range": "1h"}
# words of PromQL that are no metric: aggregations, functions, keywords
NOT_METRICS = set("""
sum min max avg group stddev stdvar count count_values bottomk topk quantile
limitk limit_ratio by without on ignoring group_left group_right and or unless
bool offset start end atan2 inf nan
abs absent absent_over_time ceil changes clamp clamp_max clamp_min day_of_month
day_of_week day_of_year days_in_month delta deriv exp floor histogram_quantile
holt_winters hour idelta increase irate label_join label_replace ln log2 log10
minute month predict_linear rate resets round scalar sgn sort sort_desc sqrt
time timestamp vector year avg_over_time min_over_time max_over_time
sum_over_time count_over_time quantile_over_time stddev_over_time
stdvar_over_time last_over_time present_over_time
""".split())


def metric_names(expr):
    """The metric names a PromQL expression reads."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`', '""', expr)
    e = re.sub(r"\{[^}]*\}", " ", e)       # label matchers
    e = re.sub(r"\[[^\]]*\]", " ", e)      # ranges and subqueries
    e = VARIABLE.sub(" ", e)               # Grafana's variables outside strings
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    names = []
    for m in re.finditer(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?", e):
        word, call = m.group(1), m.group(2)
        if not call and word not in NOT_METRICS and word not in names:
            names.append(word)
    return names


def query_names(query):
    """The metric names a variable's query reads (label_values, query_result)."""
    if isinstance(query, dict):
        query = query.get("query", "")
    if not isinstance(query, str):
        return []
    m = re.fullmatch(r"\s*label_values\((?:(.*),)?\s*\w+\s*\)\s*", query)
    if m:
        return metric_names(m.group(1) or "")
    m = re.fullmatch(r"\s*query_result\((.*)\)\s*", query)
    return metric_names(m.group(1)) if m else []


def families(scrape):
    """The metric families of a Prometheus text scrape, by their TYPE lines."""
    found = set()
    for line in open(scrape):
        m = re.match(r"# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) ", line)
        if m:
            found.add(m.group(1))
    return found


def panels_of(panels):
    """Every panel, those folded into rows too."""
    for p in panels:
        yield p
        if isinstance(p, dict) and isinstance(p.get("panels"), list):
            yield from panels_of(p["panels"])


def templated(datasource, variables):
    """Whether a datasource is a variable (or absent: the panel's, the default)."""
    if datasource is None:
        return True
    uid = datasource.get("uid") if isinstance(datasource, dict) else datasource
    if not isinstance(uid, str):
        return False
    m = VARIABLE.fullmatch(uid)
    return bool(m) and next(g for g in m.groups() if g) in variables


def check(path, scrape, manpage=None, rules=None):
    faults = []
    try:
        board = json.load(open(path))
    except (OSError, ValueError) as e:
        return [f"{path}: not JSON: {e}"]
    if not isinstance(board, dict):
        return [f"{path}: not a dashboard: the top is no object"]
    if not isinstance(board.get("title"), str) or not board["title"].strip():
        faults.append(f"{path}: no title")
    if not isinstance(board.get("uid"), str) or not UID.fullmatch(board["uid"]):
        faults.append(f"{path}: no uid Grafana takes (1 to 40 of A-Z a-z 0-9 - _)")
    if not isinstance(board.get("schemaVersion"), int):
        faults.append(f"{path}: no schemaVersion")
    variables = {}
    for v in board.get("templating", {}).get("list", []):
        if isinstance(v, dict) and isinstance(v.get("name"), str):
            variables[v["name"]] = v
    if not any(v.get("type") == "datasource" and v.get("query") == "prometheus"
               for v in variables.values()):
        faults.append(f"{path}: no datasource variable of type prometheus")
    panels = board.get("panels")
    if not isinstance(panels, list) or not panels:
        faults.append(f"{path}: no panels")
        panels = []

    used = {}           # metric name: where it is read
    exprs = []          # (record name, expr) for the rules file
    for name, v in variables.items():
        if not templated(v.get("datasource"), variables):
            faults.append(f"{path}: variable {name}: a fixed datasource")
        for metric in query_names(v.get("query")):
            used.setdefault(metric, f"variable {name}")
    ids = set()
    for p in panels_of(panels):
        if not isinstance(p, dict):
            faults.append(f"{path}: a panel that is no object")
            continue
        where = f"panel {p.get('id')} \"{p.get('title')}\""
        if not isinstance(p.get("id"), int) or p["id"] in ids:
            faults.append(f"{path}: {where}: no id, or one another panel has")
        ids.add(p.get("id"))
        if not isinstance(p.get("type"), str) or not p["type"]:
            faults.append(f"{path}: {where}: no type")
        if not isinstance(p.get("title"), str) or not p["title"].strip():
            faults.append(f"{path}: {where}: no title")
        grid = p.get("gridPos")
        if (not isinstance(grid, dict)
                or not all(isinstance(grid.get(k), int) and grid[k] >= 0 for k in "xywh")
                or grid["w"] < 1 or grid["h"] < 1 or grid["x"] + grid["w"] > GRID_COLUMNS):
            faults.append(f"{path}: {where}: no place on the grid (gridPos x, y, w, h)")
        if not templated(p.get("datasource"), variables):
            faults.append(f"{path}: {where}: a fixed datasource")
        if p.get("type") in ("row", "text"):
            continue
        targets = p.get("targets")
        if not isinstance(targets, list) or not targets:
            faults.append(f"{path}: {where}: no targets")
            continue
        refs = set()
        for t in targets:
            expr = t.get("expr") if isinstance(t, dict) else None
            ref = t.get("refId") if isinstance(t, dict) else None
            if not isinstance(ref, str) or not ref or ref in refs:
                faults.append(f"{path}: {where}: a target without a refId of its own")
            refs.add(ref)
            if not isinstance(expr, str) or not expr.strip():
                faults.append(f"{path}: {where}: target {ref}: no PromQL expr")
                continue
            if not templated(t.get("datasource"), variables):
                faults.append(f"{path}: {where}: target {ref}: a fixed datasource")
            for m in VARIABLE.finditer(expr):
                var = next(g for g in m.groups() if g)
                if var not in variables and var not in GRAFANA_VARIABLES:
                    faults.append(f"{path}: {where}: target {ref}: ${var} is no variable")
            names = metric_names(expr)
            if not names:
                faults.append(f"{path}: {where}: target {ref}: reads no metric")
            for metric in names:
                used.setdefault(metric, f"{where} target {ref}")
            exprs.append((f"flowsad_dashboard_panel_{p.get('id')}_{ref}", expr))

    exported = families(scrape)
    text = None
    if manpage:
        text = open(manpage).read().replace("\\-", "-").replace("\\_", "_")
    for metric, where in sorted(used.items()):
        if metric not in exported:
            faults.append(f"{path}: {where}: {metric}: not in the scrape {scrape}")
        short = metric[len("flowsad_"):] if metric.startswith("flowsad_") else metric
        if text is not None and not re.search(
                r"(?<![a-z0-9_])" + re.escape(short) + r"(?![a-z0-9_])", text):
            faults.append(f"{path}: {where}: {metric}: not documented in {manpage}")

    if rules:
        def plain(m):
            var = next(g for g in m.groups() if g)
            return DURATIONS.get(var, ".*")
        group = {"name": "flowsad-dashboard",
                 "rules": [{"record": r, "expr": VARIABLE.sub(plain, e)} for r, e in exprs]}
        with open(rules, "w") as f:
            json.dump({"groups": [group]}, f, indent=1)
    return faults


def main():
    args = sys.argv[1:]
    rules = None
    if "--rules" in args:
        i = args.index("--rules")
        rules = args[i + 1]
        del args[i:i + 2]
    if len(args) not in (2, 3):
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    faults = check(*args, rules=rules)
    for f in faults:
        print(f)
    return 1 if faults else 0


if __name__ == "__main__":
    sys.exit(main())
