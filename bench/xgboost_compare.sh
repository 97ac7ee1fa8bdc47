#!/bin/sh
# Times an imported XGBoost model in Steward against XGBoost itself, side by
# side in one run: bench/python/xgb_bench.py trains a binary:logistic booster
# (1000 trees of depth 8 by default), saves it as JSON, scores the rows with
# XGBoost and times it; bench/cmd/xgbbench loads the same file, scores the
# same rows (checking every probability against XGBoost's bit for bit) and
# prints both sides with the ratios.
#
# Environment: TREES (1000), DEPTH (8), ROWS (1000000), TRAIN_ROWS (50000).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BASELINE=${BASELINE:-$ROOT/bench/python}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "== python: xgb_bench.py (${TREES:-1000} trees of depth ${DEPTH:-8}, ${ROWS:-1000000} rows)" >&2
/usr/bin/python3 "$BASELINE/xgb_bench.py" "$tmp" --trees "${TREES:-1000}" --depth "${DEPTH:-8}" \
	--rows "${ROWS:-1000000}" --train-rows "${TRAIN_ROWS:-50000}"
echo "== go: xgbbench" >&2
(cd "$ROOT" && go build -o "$tmp/xgbbench" ./bench/cmd/xgbbench)
"$tmp/xgbbench" -dir "$tmp"
