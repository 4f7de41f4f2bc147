#!/usr/bin/env python3
"""Alert documents against the Elastic Common Schema and against the index template.

usage: ecs-check.py --ecs DIR --template TEMPLATE.json DOCS.jsonl...

DIR holds fields-<v>.csv and allowed-values-<v>.csv of the ECS version the
documents name in ecs.version (tests/data/ecs). DOCS: JSON lines of `flowsad
run --jsonl` (alerts and incident ends). Every field is a leaf of the
document: nested objects give dotted names, and a list of objects (the
explanation) gives the names of its entries' fields.

Checks, each failure printed as "document N: field: what is wrong":
- every field outside flowsad.* is an ECS field, its value of the field's
  type (keyword and text: a string; date: ISO 8601 UTC text; long: an
  integer; float: a number; ip: an address), a list exactly where ECS
  normalizes the field as an array;
- event.kind, event.category, event.type and event.outcome hold allowed
  values, and every event.type is one that each event.category expects;
- the template maps every field of every document, fields outside flowsad.*
  with their ECS type, flowsad.* ones with a type their values fit, and a
  list of objects as nested;
- the template maps nothing outside flowsad.* that is not ECS or not of
  its ECS type.
Exits 0 when all hold, 1 otherwise.
"""
import argparse
import csv
import ipaddress
import json
import os
import re
import sys

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
TEXT = {"keyword", "constant_keyword", "wildcard", "match_only_text", "text"}
NUMBER = {"float", "half_float", "scaled_float", "double"}
OBJECTS = object()  # the leaf value that stands for a list of objects


def load_ecs(folder, version):
    fields = {}
    with open(os.path.join(folder, "fields-%s.csv" % version), newline="") as f:
        for row in csv.DictReader(f):
            fields[row["Field"]] = (row["Type"], "array" in row["Normalization"])
    allowed, expected = {}, {}
    with open(os.path.join(folder, "allowed-values-%s.csv" % version), newline="") as f:
        for row in csv.DictReader(f):
            allowed.setdefault(row["field"], set()).add(row["value"])
            if row["field"] == "event.category":
                expected[row["value"]] = set(filter(None, row["expected_event_types"].split(",")))
    return fields, allowed, expected


def leaves(value, name="", out=None):
    """Dotted name -> list of (value, is_list, in_object_list) for every leaf."""
    out = {} if out is None else out
    if isinstance(value, dict):
        for k, v in value.items():
            leaves(v, name + "." + k if name else k, out)
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        out.setdefault(name, []).append((OBJECTS, True, False))
        for v in value:
            for k, vv in leaves(v, name).items():
                out.setdefault(k, []).extend((x, l, True) for x, l, _ in vv)
    else:
        out.setdefault(name, []).append((value, isinstance(value, list), False))
    return out


def fits(mapping_type, value):
    """Whether one JSON scalar fits an Elasticsearch field type."""
    if isinstance(value, bool):
        return mapping_type == "boolean"
    if mapping_type in TEXT:
        return isinstance(value, str)
    if mapping_type == "date":
        return isinstance(value, str) and bool(ISO_UTC.match(value))
    if mapping_type in {"long", "integer", "short", "byte", "unsigned_long"}:
        return isinstance(value, int)
    if mapping_type in NUMBER:
        return isinstance(value, (int, float))
    if mapping_type == "ip":
        try:
            ipaddress.ip_address(value)
            return True
        except (TypeError, ValueError):
            return False
    return False


def template_fields(properties, name="", out=None):
    """Dotted name -> mapping type ("object" for a plain object)."""
    out = {} if out is None else out
    for k, m in properties.items():
        full = name + "." + k if name else k
        out[full] = m.get("type", "object")
        if "properties" in m:
            template_fields(m["properties"], full, out)
    return out


def own(name):
    return name == "flowsad" or name.startswith("flowsad.")


def check_doc(n, doc, ecs, allowed, expected, mapped, problems):
    def bad(field, what):
        problems.append("document %d: %s: %s" % (n, field, what))

    for field, values in leaves(doc).items():
        for value, is_list, _ in values:
            if value is OBJECTS:
                if mapped.get(field) != "nested":
                    bad(field, "a list of objects, not mapped as nested")
                continue
            if field not in mapped:
                bad(field, "not mapped by the template")
            scalars = value if is_list else [value]
            if field in mapped and not all(fits(mapped[field], v) for v in scalars):
                bad(field, "%r does not fit the template's type %s" % (value, mapped[field]))
            if own(field):
                continue
            if field not in ecs:
                bad(field, "not an ECS field")
                continue
            etype, array = ecs[field]
            if mapped.get(field, etype) != etype:
                bad(field, "mapped as %s, ECS says %s" % (mapped[field], etype))
            if not all(fits(etype, v) for v in scalars):
                bad(field, "%r is not of ECS type %s" % (value, etype))
            if is_list != array:
                bad(field, "ECS %s an array" % ("makes it" if array else "does not make it"))
    event = doc.get("event", {})
    for key in ("kind", "category", "type", "outcome"):
        if key not in event:
            continue
        values = event[key] if isinstance(event[key], list) else [event[key]]
        for v in values:
            if v not in allowed["event." + key]:
                bad("event." + key, "%r is not an allowed value" % v)
    def listed(v):
        return v if isinstance(v, list) else [v]

    categories = listed(event.get("category", []))
    for t in listed(event.get("type", [])):
        for c in categories:
            if c in expected and t not in expected[c]:
                bad("event.type", "%r is not a type ECS expects of category %r" % (t, c))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ecs", required=True)
    ap.add_argument("--template", required=True)
    ap.add_argument("docs", nargs="+")
    args = ap.parse_args()
    template = json.load(open(args.template))
    version = template["_meta"]["ecs_version"]
    ecs, allowed, expected = load_ecs(args.ecs, version)
    mapped = template_fields(template["template"]["mappings"]["properties"])
    problems = []
    for field, mtype in sorted(mapped.items()):
        if own(field) or mtype == "object":
            continue
        if field not in ecs:
            problems.append("template: %s: not an ECS field" % field)
        elif ecs[field][0] != mtype:
            problems.append("template: %s: %s, ECS says %s" % (field, mtype, ecs[field][0]))
    n = 0
    for path in args.docs:
        for line in open(path):
            n += 1
            doc = json.loads(line)
            if doc.get("ecs", {}).get("version") != version:
                problems.append("document %d: ecs.version is not %s" % (n, version))
            check_doc(n, doc, ecs, allowed, expected, mapped, problems)
    for p in problems:
        print(p)
    if n == 0:
        print("no documents")
    return 1 if problems or n == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
