#!/bin/sh
# Times Steward's model families against the Python training baseline, side
# by side in one run, on the same synthetic heart-shaped data and the same
# 80/20 stratified split (the baseline's cached split arrays).
#
# Usage: bench/train_compare.sh [PYDIR]
#   PYDIR   a writable copy of the Python baseline folder (data.py,
#           train_bench.py, ...), with its Debian packages installed
#           (sh PYDIR/setup.sh). Without it, $BASELINE (default
#           bench/python) is copied to a temporary folder, which is
#           removed at the end.
# Environment:
#   SIZES   row counts (default 100000,1000000)
#   MODELS  baseline models (default logreg,rf_nj2,xgb)
#   GO_MODELS  Steward families (default logreg,forest,gbdt)
#   CAP     baseline per-phase cap in seconds (default 300)
#
# Prints each side's log, then a markdown table with the speed-ups
# (Python time / Go time) and the hold-out AUC difference.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -ge 1 ]; then
	PYDIR=$1
else
	BASELINE=${BASELINE:-$ROOT/bench/python}
	[ -f "$BASELINE/train_bench.py" ] || { echo "train: no Python baseline at $BASELINE; set BASELINE=DIR" >&2; exit 2; }
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	cp -r "$BASELINE" "$tmp/python"
	chmod -R u+w "$tmp/python"
	PYDIR=$tmp/python
fi
SIZES=${SIZES:-100000,1000000}
MODELS=${MODELS:-logreg,rf_nj2,xgb}
GO_MODELS=${GO_MODELS:-logreg,forest,gbdt}
CAP=${CAP:-300}
PYDIR=$(cd "$PYDIR" && pwd)
OUT=$PYDIR/results
mkdir -p "$OUT"
STAMP=$(date +%Y%m%dT%H%M%S)
PY_OUT=$OUT/train_compare_$STAMP.jsonl
GO_OUT=$OUT/train_compare_go_$STAMP.jsonl

echo "== data ($SIZES)" >&2
(cd "$PYDIR" && /usr/bin/python3 data.py --sizes "$SIZES" --no-drift)

echo "== python: train_bench.py --models $MODELS" >&2
(cd "$PYDIR" && /usr/bin/python3 train_bench.py --sizes "$SIZES" --models "$MODELS" --cap "$CAP" --out "$PY_OUT")

echo "== go: trainbench --models $GO_MODELS" >&2
BIN=$(mktemp -d)/trainbench
(cd "$ROOT" && go build -o "$BIN" ./bench/cmd/trainbench)
"$BIN" -npz-dir "$PYDIR/data/cache" -sizes "$SIZES" -models "$GO_MODELS" -out "$GO_OUT" -python "$PY_OUT"
rm -f "$BIN"
mkdir -p "$ROOT/bench/out"
cp "$PY_OUT" "$GO_OUT" "$ROOT/bench/out/"
echo "results: bench/out/$(basename "$PY_OUT") bench/out/$(basename "$GO_OUT")" >&2
