#!/usr/bin/env python3
"""Checks docs/ops against the daemons' /metrics (tests/cli/test_ops_monitoring.sh).

usage: ops_monitoring_check.py ALERTS.yml DASHBOARD.json SMSR_METRICS.txt SMDP_METRICS.txt [PROMTOOL_RULES_OUT]

- the alert rules file has the structure Prometheus loads (groups / rules / alert, expr, for,
  labels.severity, annotations.summary), unique group and alert names;
- the dashboard is JSON Grafana imports (title, uid, unique panel ids, gridPos, every target a
  refId and an expr, the template variables it uses are defined);
- every metric name in an alert expr or a panel query exists in the /metrics text of the daemon that
  owns it (rsp_smsr_* in rsp smsr run's, rsp_smdp_* in rsp smdp run's, the shared svc names in
  both), histogram series (_bucket, _sum, _count) derived from `# TYPE ... histogram`;
- every query has balanced brackets and quotes; with PROMTOOL_RULES_OUT, the dashboard queries are
  written there as recording rules (Grafana variables replaced by literals), for `promtool check rules`
  to parse them with Prometheus's own parser.
Exit 0 when all holds, 1 with one line per fault otherwise."""
import json
import re
import sys

import yaml

KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless",
            "bool", "offset", "inf", "nan"}
DURATION = re.compile(r"^([0-9]+(ms|s|m|h|d|w|y))+$")
faults = []


def fault(msg):
    faults.append(msg)


def families(path):
    """Metric names a /metrics text exposes (histograms: their three series names)."""
    names = set()
    for line in open(path, encoding="utf-8"):
        m = re.match(r"^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$", line.strip())
        if m:
            n, t = m.groups()
            names.add(n)
            if t == "histogram":
                names |= {n + "_bucket", n + "_sum", n + "_count"}
    return names


def grafana_to_promql(expr):
    expr = expr.replace("$__rate_interval", "5m").replace("$__range", "1h").replace("$__interval", "1m")
    return re.sub(r"\$\{?[a-zA-Z_][a-zA-Z0-9_]*\}?", ".*", expr)


def metric_names(expr):
    """Metric names in a PromQL expression: identifiers outside strings, label matchers, grouping
    lists and range selectors that are not functions, keywords or numbers."""
    e = re.sub(r'"(\\.|[^"\\])*"', '""', expr)          # strings
    e = re.sub(r"\{[^}]*\}", "", e)                         # label matchers
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    e = re.sub(r"\[[^\]]*\]", "", e)                        # ranges and subqueries
    out = set()
    for m in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", e):
        name = m.group(0)
        rest = e[m.end():].lstrip()
        if rest.startswith("(") or name.lower() in KEYWORDS or DURATION.match(name):
            continue
        if m.start() > 0 and (e[m.start() - 1].isdigit() or e[m.start() - 1] == "."):
            continue                                        # 1e-9, 0.5 ...
        out.add(name)
    return out


def balanced(expr):
    e = re.sub(r'"(\\.|[^"\\])*"', '""', expr)
    if e.count('"') % 2:
        return False
    stack, pairs = [], {")": "(", "]": "[", "}": "{"}
    for c in e:
        if c in "([{":
            stack.append(c)
        elif c in pairs:
            if not stack or stack.pop() != pairs[c]:
                return False
    return not stack


def check_names(where, expr, smsr, smdp):
    if not balanced(expr):
        fault(f"{where}: unbalanced brackets or quotes: {expr}")
    names = metric_names(expr)
    if not names:
        fault(f"{where}: no metric in {expr}")
    for n in sorted(names):
        if n.startswith("rsp_smsr_"):
            ok = n in smsr
        elif n.startswith("rsp_smdp_"):
            ok = n in smdp
        else:
            ok = n in smsr and n in smdp
        if not ok:
            fault(f"{where}: metric {n} is not in the /metrics of the daemon that should expose it")


def check_alerts(path, smsr, smdp):
    doc = yaml.safe_load(open(path, encoding="utf-8"))
    if not isinstance(doc, dict) or set(doc) != {"groups"} or not isinstance(doc["groups"], list):
        fault(f"{path}: top level must be exactly 'groups:' with a list")
        return 0
    n, gnames, anames = 0, set(), set()
    for g in doc["groups"]:
        if not isinstance(g, dict) or not isinstance(g.get("name"), str) or not isinstance(g.get("rules"), list):
            fault(f"{path}: a group without name or rules")
            continue
        if g["name"] in gnames:
            fault(f"{path}: group {g['name']} twice")
        gnames.add(g["name"])
        for r in g["rules"]:
            a = r.get("alert") if isinstance(r, dict) else None
            if not isinstance(a, str) or not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", a):
                fault(f"{path}: group {g['name']}: a rule without a valid alert name")
                continue
            if a in anames:
                fault(f"{path}: alert {a} twice")
            anames.add(a)
            extra = set(r) - {"alert", "expr", "for", "labels", "annotations", "keep_firing_for"}
            if extra:
                fault(f"{path}: {a}: unknown keys {sorted(extra)}")
            if "for" in r and not DURATION.match(str(r["for"])):
                fault(f"{path}: {a}: 'for' is not a duration: {r['for']}")
            if (r.get("labels") or {}).get("severity") not in ("critical", "warning", "info"):
                fault(f"{path}: {a}: labels.severity must be critical, warning or info")
            if not (r.get("annotations") or {}).get("summary"):
                fault(f"{path}: {a}: no annotations.summary")
            if not isinstance(r.get("expr"), str):
                fault(f"{path}: {a}: no expr")
                continue
            check_names(f"alert {a}", r["expr"], smsr, smdp)
            n += 1
    return n


def check_dashboard(path, smsr, smdp, rules_out):
    try:
        d = json.load(open(path, encoding="utf-8"))
    except ValueError as e:
        fault(f"{path}: not JSON: {e}")
        return 0
    for k in ("title", "uid", "panels", "templating", "schemaVersion"):
        if k not in d:
            fault(f"{path}: no {k}")
    variables = {v.get("name") for v in d.get("templating", {}).get("list", [])}
    ids, exprs = set(), []
    for p in d.get("panels", []):
        if p.get("id") in ids:
            fault(f"{path}: panel id {p.get('id')} twice")
        ids.add(p.get("id"))
        gp = p.get("gridPos", {})
        if not all(isinstance(gp.get(k), int) for k in ("h", "w", "x", "y")) or gp.get("x", 0) + gp.get("w", 0) > 24:
            fault(f"{path}: panel {p.get('title')}: bad gridPos {gp}")
        if p.get("type") == "row":
            continue
        if not p.get("targets"):
            fault(f"{path}: panel {p.get('title')}: no query")
        for t in p.get("targets", []):
            if not t.get("refId") or not isinstance(t.get("expr"), str):
                fault(f"{path}: panel {p.get('title')}: a target without refId or expr")
                continue
            for v in re.findall(r"\$\{?([a-zA-Z_][a-zA-Z0-9_]*)", t["expr"]):
                if not v.startswith("__") and v not in variables:
                    fault(f"{path}: panel {p.get('title')}: variable ${v} is not defined")
            q = grafana_to_promql(t["expr"])
            check_names(f"panel {p.get('title')!r}", q, smsr, smdp)
            exprs.append(q)
    if rules_out:
        rules = [{"record": f"openrsp:dashboard_query_{i}", "expr": e} for i, e in enumerate(exprs)]
        yaml.safe_dump({"groups": [{"name": "dashboard-queries", "rules": rules}]}, open(rules_out, "w"))
    return len(exprs)


def main():
    if len(sys.argv) not in (5, 6):
        print(__doc__, file=sys.stderr)
        return 2
    smsr, smdp = families(sys.argv[3]), families(sys.argv[4])
    if not smsr or not smdp:
        print("no metric families read from the /metrics texts", file=sys.stderr)
        return 1
    na = check_alerts(sys.argv[1], smsr, smdp)
    nq = check_dashboard(sys.argv[2], smsr, smdp, sys.argv[5] if len(sys.argv) == 6 else None)
    for f in faults:
        print(f)
    if not faults:
        print(f"{na} alert rules and {nq} dashboard queries: every metric exists, structure valid")
    return 1 if faults else 0


if __name__ == "__main__":
    sys.exit(main())
