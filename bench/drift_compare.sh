#!/usr/bin/env bash
# Drift statistics, Go against SciPy, on the same data in one run.
#
# Usage: bench/drift_compare.sh [-n ROWS] [-r REPS]
#   BASELINE   the Python baseline folder (default bench/python); it is
#              copied to a temporary folder first, the original is never
#              written to.
#   PYTHON     defaults to /usr/bin/python3 (Debian's numpy/scipy/pandas).
#
# Steps: generate heart_<ROWS>.csv / heart_drift_<ROWS>.csv with data.py if
# needed, run drift_bench.py --sizes ROWS, run bench/cmd/driftbench on the
# same files, check that both computed the same values (1e-9 relative), and
# print the timings side by side. The two run one after the other, never at
# the same time: each uses both cores.
set -euo pipefail

rows=1000000
reps=5
while getopts "n:r:" opt; do
	case $opt in
	n) rows=$OPTARG ;;
	r) reps=$OPTARG ;;
	*) echo "usage: $0 [-n ROWS] [-r REPS]" >&2; exit 2 ;;
	esac
done

root=$(cd "$(dirname "$0")/.." && pwd)
baseline=${BASELINE:-$root/bench/python}
python=${PYTHON:-/usr/bin/python3}
if [ ! -f "$baseline/drift_bench.py" ]; then
	echo "drift_compare: no drift_bench.py in $baseline (set BASELINE)" >&2
	exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/drift-compare.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -r "$baseline"/. "$work"/
chmod -R u+w "$work"
mkdir -p "$work/data" "$work/results"

if [ ! -f "$work/data/heart_$rows.csv" ] || [ ! -f "$work/data/heart_drift_$rows.csv" ]; then
	echo "== data.py --sizes $rows" >&2
	(cd "$work" && "$python" data.py --sizes "$rows")
fi

echo "== SciPy: drift_bench.py --sizes $rows" >&2
(cd "$work" && "$python" drift_bench.py --sizes "$rows" \
	--values-out "$work/results/drift_values.json" --timings-out "$work/results/drift.jsonl")

echo "== Go: bench/cmd/driftbench" >&2
(cd "$root" && go build -o "$work/driftbench" ./bench/cmd/driftbench)
"$work/driftbench" -ref "$work/data/heart_$rows.csv" -cur "$work/data/heart_drift_$rows.csv" \
	-reps "$reps" -values "$work/go_values.json" > "$work/results/drift_go.jsonl"
echo "== Go on one core (GOMAXPROCS=1)" >&2
GOMAXPROCS=1 "$work/driftbench" -ref "$work/data/heart_$rows.csv" -cur "$work/data/heart_drift_$rows.csv" \
	-reps "$reps" > "$work/results/drift_go1.jsonl"

"$python" "$root/bench/drift_compare_values.py" "$work/go_values.json" "$work/results/drift_values.json"

"$python" - "$work/results/drift.jsonl" "$work/results/drift_go.jsonl" "$rows" "$work/results/drift_go1.jsonl" <<'PY'
import json, sys
py = {r["statistic"]: r["time_13_features"] for r in map(json.loads, open(sys.argv[1]))
      if r.get("size_ref") == int(sys.argv[3])}
go = {r["statistic"]: r["time_13_features"] for r in map(json.loads, open(sys.argv[2]))}
go1 = {r["statistic"]: r["time_13_features"] for r in map(json.loads, open(sys.argv[4]))}
ms = lambda t: f'{t["median_s"] * 1e3:10.1f} ms (x{t["reps"]})'
print(f"\n13 features, {int(sys.argv[3]):,} reference vs {int(sys.argv[3]):,} current rows (medians)")
print(f'{"":34s} {"SciPy/NumPy":>17s} {"Go":>17s} {"ratio":>7s}')
a, b = py["all_stats_13_features"], go["all_stats_13_features"]
print(f'{"all statistics (compute_values)":34s} {ms(a)} {ms(b)} {a["median_s"] / b["median_s"]:6.1f}x')
c = go1["all_stats_13_features"]
print(f'{"  the same, Go on one core":34s} {"":17s} {ms(c)} {a["median_s"] / c["median_s"]:6.1f}x')
for name in ("ks_2samp", "wasserstein_distance", "binning(deciles/categories)"):
    if name in py:
        print(f'{"  SciPy " + name:34s} {ms(py[name])}')
for name in ("build_profile", "check_defaults"):
    print(f'{"  Go " + name:34s} {"":17s} {ms(go[name])}')
PY
