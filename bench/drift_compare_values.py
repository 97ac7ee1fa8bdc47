#!/usr/bin/python3
"""Compare driftbench's values (-values) with drift_bench.py's drift_values.json.

Usage: drift_compare_values.py GO_VALUES.json PY_DRIFT_VALUES.json
Exits 1 if any number differs by more than 1e-9 relative (values that both
underflow below the normal float64 range count as equal).
"""
import json, sys, math
go = json.load(open(sys.argv[1]))["sizes"]
py = json.load(open(sys.argv[2]))["sizes"]
bad = checked = 0
worst = 0.0
def walk(a, b, path):
    global bad, checked, worst
    if isinstance(b, dict):
        for k, v in b.items():
            if k in ("kind", "ks_pvalue_formula"):
                continue
            if k not in a:
                print("missing", path + "/" + k); bad += 1; continue
            walk(a[k], v, path + "/" + k)
    elif isinstance(b, list):
        if len(a) != len(b):
            print("length", path, len(a), len(b)); bad += 1; return
        for i, (x, y) in enumerate(zip(a, b)):
            walk(x, y, f"{path}[{i}]")
    elif isinstance(b, str):
        if a != b: print("differs", path, a, b); bad += 1
    else:
        checked += 1
        x, y = float(a), float(b)
        if x == y or (abs(x) < 2.2250738585072014e-308 and abs(y) < 2.2250738585072014e-308):
            return
        rel = abs(x - y) / max(abs(x), abs(y))
        worst = max(worst, rel)
        if rel > 1e-9:
            print("differs", path, x, y, rel); bad += 1
for n, feats in go.items():
    walk(feats, py[n], n)
print(f"values: {checked} numbers compared with drift_bench.py, {bad} differ beyond 1e-9 (worst relative difference {worst:.2g})")
sys.exit(1 if bad else 0)
