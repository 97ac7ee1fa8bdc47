#!/usr/bin/env bash
# Serving, side by side in one run on this machine:
#   1. in-process handler latency, one-row request, JSON in to JSON out
#      (goal: median <= 20 µs);
#   2. `steward serve` vs FastAPI + uvicorn under `wrk -t2 -c32` on
#      loopback, the same kind of model each time: a 100-tree random forest
#      (Python: sklearn RF) and 100 boosted trees of depth 6 (Python:
#      XGBoost); goals: >= 10x the requests/s, p99 <= 5 ms, RSS <= 100 MB;
#   3. the predict bootstrap under aws-lambda-rie: process start to the
#      first successful prediction (goal <= 50 ms) and its size (<= 20 MB).
#
#   BASELINE  the Python baseline folder (default ../shared/bench/python),
#             copied to a temporary directory before use.
#   DURATION  seconds of each wrk measurement (default 15, as the baseline).
# Every server is started here, on 127.0.0.1, and stopped by its pid.
set -euo pipefail
cd "$(dirname "$0")/.."
BASELINE=${BASELINE:-$(cd .. && pwd)/shared/bench/python}
DURATION=${DURATION:-15}
PORT=${PORT:-18081}
work=$(mktemp -d)
pid=""
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT
out=${OUT:-bench/out/serve.jsonl}
mkdir -p "$(dirname "$out")"
: >"$out"

command -v wrk >/dev/null || { echo "serve: wrk is missing (the baseline's setup.sh installs it)" >&2; exit 2; }
cp -r "$BASELINE"/. "$work/py"
mkdir -p "$work/py/results" "$work/py/data"
(cd "$work/py" && /usr/bin/python3 data.py >/dev/null && /usr/bin/python3 export_models.py >/dev/null)

go build -o "$work/steward" ./cmd/steward
go build -o "$work/servebench" ./bench/cmd/servebench

echo "-- in-process handler latency (one row)"
for fam in forest gbdt; do
	"$work/servebench" handler -family "$fam" -trees 100 -n 20000 | tee -a "$out"
done

echo "-- capture on the request path (BatchWriter.Capture, 8 callers, batches written meanwhile)"
"$work/servebench" capture -workers 8 -seconds 5 | tee -a "$out"

# The same record as the baseline's post.lua, with the codes of the
# bundled schema (cp 1-4, slope 1-3, thal 3/6/7).
row='{"age":63,"sex":1,"cp":1,"trestbps":145,"chol":233,"fbs":1,"restecg":2,"thalach":150,"exang":0,"oldpeak":2.3,"slope":3,"ca":0,"thal":6}'

run_steward() { # family
	local fam=$1 dir="$work/data-$1" base="http://127.0.0.1:$PORT"
	"$work/servebench" prepare -dir "$dir" -family "$fam" -trees 100
	"$work/steward" --data-dir "$dir" serve --addr "127.0.0.1:$PORT" >"$work/serve-$fam.log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do curl -sf "$base/health" >/dev/null && break; sleep 0.1; done
	local key
	key=$(cat "$dir/local-api-key")
	cat >"$work/steward.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["x-api-key"] = "$key"
wrk.body = '{"instances":[$row]}'
LUA
	sed -n '/^done = function/,$p' "$work/py/post.lua" >>"$work/steward.lua"
	local ok bad
	ok=$(curl -s -o /dev/null -w '%{http_code}' -H "x-api-key: $key" -H 'content-type: application/json' -d "{\"instances\":[$row]}" "$base/v1/models/heart/predict")
	bad=$(curl -s -o /dev/null -w '%{http_code}' -H "x-api-key: $key" -H 'content-type: application/json' -d '{"instances":[{"age":"old"}]}' "$base/v1/models/heart/predict")
	[ "$ok" = 200 ] && [ "$bad" = 422 ] || { echo "serve: checks gave $ok/$bad, want 200/422" >&2; cat "$work/serve-$fam.log" >&2; exit 1; }
	wrk -t2 -c32 -d3s -s "$work/steward.lua" "$base/v1/models/heart/predict" >/dev/null
	local res rss hwm
	res=$(wrk -t2 -c32 -d"${DURATION}s" --timeout 5s -s "$work/steward.lua" "$base/v1/models/heart/predict" | sed -n 's/^WRKJSON //p')
	rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
	hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
	kill -INT "$pid"
	wait "$pid" || { echo "serve: steward serve exited with an error" >&2; cat "$work/serve-$fam.log" >&2; exit 1; }
	pid=""
	echo "{\"kind\":\"serve\",\"server\":\"steward\",\"model\":\"$fam\",\"rss_kb\":$rss,\"peak_rss_kb\":$hwm,\"wrk\":$res}" | tee -a "$out"
	grep 'stopped;' "$work/serve-$fam.log"
}

echo "-- steward serve under wrk -t2 -c32 -d${DURATION}s"
run_steward forest
run_steward gbdt

echo "-- FastAPI + uvicorn under the same load (serve_bench.py)"
(cd "$work/py" && /usr/bin/python3 serve_bench.py --endpoints async --models rf,xgb --workers 1,2 --reps 1 --duration "$DURATION" --out "$work/py-serve.jsonl")
sed 's/^/{"kind":"serve","server":"fastapi","record":/; s/$/}/' "$work/py-serve.jsonl" >>"$out"

echo "-- cold start under aws-lambda-rie"
"$work/servebench" coldstart -family forest -trees 100 -reps 7 | tee -a "$out"

/usr/bin/python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
go = {r["model"]: r for r in rows if r.get("kind") == "serve" and r.get("server") == "steward"}
py = [r["record"] for r in rows if r.get("kind") == "serve" and r.get("server") == "fastapi" and r["record"].get("status") == "ok"]
print("\n== serving under wrk -t2 -c32 (same machine, same run)")
print(f"{'model':8} {'steward req/s':>14} {'p50 ms':>7} {'p99 ms':>7} {'peak RSS MB':>12} | {'best FastAPI req/s':>18} {'(config)':22} {'p99 ms':>7} | ratio")
for fam, pyname in (("forest", "rf"), ("gbdt", "xgb")):
    g = go.get(fam)
    cands = [r for r in py if r["model"] == pyname]
    if not g or not cands:
        continue
    best = max(cands, key=lambda r: r["rps"])
    w = g["wrk"]
    print(f"{fam:8} {w['rps']:14.0f} {w['lat_p50_ms']:7.2f} {w['lat_p99_ms']:7.2f} {g['peak_rss_kb']/1024:12.1f} | {best['rps']:18.0f} "
          f"{best['endpoint']+' w='+str(best['workers'])+' '+str(best.get('conns_per_worker_midtest',{})):22.22} {best['lat_p99_ms']:7.2f} | {w['rps']/best['rps']:.1f}x"
          f"  errors {w['err_status']+w['err_connect']+w['err_read']+w['err_write']+w['err_timeout']}")
for r in rows:
    if r.get("kind") == "handler":
        print(f"handler {r['family']:6} {r['layer']:52} median {r['median_us']:.1f} µs  p99 {r['p99_us']:.1f} µs")
    if r.get("kind") == "capture":
        print(f"capture hand-off: median {r['median_us']:.2f} µs, p99 {r['p99_us']:.2f} µs, p99.9 {r['p999_us']:.2f} µs, max {r['max_us']/1000:.1f} ms; {r['written']} of {r['calls']} written")
    if r.get("kind") == "bootstrap_size":
        print(f"bootstrap {r['arch']}: {r['mib']:.1f} MiB")
    if r.get("kind") == "coldstart_summary":
        print(f"cold start under aws-lambda-rie: median {r['median_ms']:.1f} ms, max {r['max_ms']:.1f} ms over {r['reps']}")
PY
