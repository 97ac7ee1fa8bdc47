#!/usr/bin/env bash
# make bench: every Steward benchmark, each side by side with the Python
# stack a user would otherwise pick, in one run on this machine.
#
#   BASELINE   the Python baseline folder (default bench/python, in this
#              repository); each compare script copies it before writing
#              anything, so the folder itself stays clean.
#   ONLY       run only the comparisons whose names are listed (csv drift
#              train serve xgboost), e.g. ONLY="drift train" make bench.
#
# The comparisons run one after the other: each uses both cores. Results are
# printed as ratios (Python time / Steward time); absolute times on a shared
# 2-core machine are noise. Go micro-benchmarks follow.
set -euo pipefail
cd "$(dirname "$0")/.."
export BASELINE=${BASELINE:-$(pwd)/bench/python}
if [ ! -f "$BASELINE/setup.sh" ]; then
	echo "bench: no Python baseline at $BASELINE; set BASELINE=DIR" >&2
	exit 2
fi
if ! /usr/bin/python3 -c 'import sklearn, xgboost, scipy, pandas, fastapi' 2>/dev/null || ! command -v wrk >/dev/null; then
	echo "bench: installing the baseline's Debian packages ($BASELINE/setup.sh)" >&2
	sh "$BASELINE/setup.sh"
fi

want() { [ -z "${ONLY:-}" ] || [[ " $ONLY " == *" $1 "* ]]; }
status=0
for name in csv drift train serve xgboost; do
	script=bench/${name}_compare.sh
	if [ -f "$script" ] && want "$name"; then
		echo "== $name: $script"
		bash "$script" || { echo "bench: $name failed" >&2; status=1; }
	fi
done

if want go; then
	echo "== Go micro-benchmarks"
	go test -run '^$' -bench . -benchtime 300ms -count 1 ./internal/... | grep -E '^(Benchmark|ok|FAIL|---)' || status=1
fi
exit $status
