#!/bin/sh
# Loading and validating a 1,000,000-row heart-shaped CSV with Steward, side
# by side with pandas.read_csv alone on the same file, in one run.
#
# usage: bench/csv_compare.sh [BASELINE_DIR]
#   BASELINE_DIR  the Python baseline (data.py, setup.sh); default
#                 $BASELINE or bench/python. It is copied to
#                 bench/out/csv/python before use, never written to.
#   REPS          repetitions per round (default 3); ROUNDS (default 3)
#                 rounds alternate pandas and Steward to share the noise.
#
# Needs /usr/bin/python3 with pandas (bench/python/setup.sh installs it).
# Writes bench/out/csv/results.jsonl and prints medians and the ratio.
set -eu
cd "$(dirname "$0")/.."
BASELINE=${1:-${BASELINE:-bench/python}}
REPS=${REPS:-3}
ROUNDS=${ROUNDS:-3}
OUT=bench/out/csv
PY=/usr/bin/python3
mkdir -p "$OUT"

if [ ! -f "$OUT/python/data.py" ]; then
	[ -f "$BASELINE/data.py" ] || { echo "csv_compare: no baseline at $BASELINE (pass its directory)" >&2; exit 2; }
	rm -rf "$OUT/python"
	cp -r "$BASELINE" "$OUT/python"
	chmod -R u+w "$OUT/python"
fi
DATA=$OUT/python/data/heart_1000000.csv
if [ ! -f "$DATA" ]; then
	echo "csv_compare: writing $DATA with the baseline's data.py" >&2
	(cd "$OUT/python" && $PY data.py --sizes 1000000 --no-drift >&2)
fi
$PY -c 'import pandas' 2>/dev/null || { echo "csv_compare: $PY cannot import pandas (run: sh $BASELINE/setup.sh)" >&2; exit 2; }

go build -o "$OUT/csvbench" ./bench/cmd/csvbench

RESULTS=$OUT/results.jsonl
: > "$RESULTS"
round=0
while [ "$round" -lt "$ROUNDS" ]; do
	$PY - "$DATA" "$REPS" >> "$RESULTS" <<'PYEOF'
import json, sys, time, gc
import pandas as pd
path, reps = sys.argv[1], int(sys.argv[2])
for rep in range(reps):
    gc.collect()
    c0, t0 = time.process_time(), time.perf_counter()
    df = pd.read_csv(path)
    s, c = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({"bench": "csv", "impl": "pandas", "phase": "read_csv", "rows": len(df),
                      "rep": rep, "s": s, "cpu_s": c, "pandas": pd.__version__}))
PYEOF
	"$OUT/csvbench" -data "$DATA" -suite bench/csv_suite.json -reps "$REPS" >> "$RESULTS"
	round=$((round + 1))
done

$PY - "$RESULTS" <<'PYEOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def times(impl, phase, key="s"):
    return [r[key] for r in rows if r["impl"] == impl and r["phase"] == phase]
def med(impl, phase, key="s"):
    return statistics.median(times(impl, phase, key))
pd_t = times("pandas", "read_csv")
print(f"1,000,000 rows, {len(pd_t)} runs each; wall median, wall min, CPU median:")
print(f"  pandas.read_csv             {med('pandas', 'read_csv'):7.3f} s {min(pd_t):7.3f} s {med('pandas', 'read_csv', 'cpu_s'):7.3f} s")
for phase in ["read", "parse", "validate", "load", "load+validate"]:
    t = times("steward", phase)
    print(f"  steward {phase:20s}{med('steward', phase):7.3f} s {min(t):7.3f} s {med('steward', phase, 'cpu_s'):7.3f} s")
pm, lv, ld = med("pandas", "read_csv"), med("steward", "load+validate"), med("steward", "load")
print(f"wall ratio pandas.read_csv / steward load+validate: median {pm / lv:.2f}x, best {min(pd_t) / min(times('steward', 'load+validate')):.2f}x (load only: median {pm / ld:.2f}x)")
print(f"CPU ratio pandas.read_csv / steward load+validate: {med('pandas', 'read_csv', 'cpu_s') / med('steward', 'load+validate', 'cpu_s'):.2f}x")
with open("/proc/loadavg") as f:
    print("load average at the end:", " ".join(f.read().split()[:3]))
PYEOF
