#!/usr/bin/env bash
# Cost per evaluation and peak memory of scenarios/scale.toml scaled to
# 10k … 100M connections (6 simulated hours each), servers per pool scaled
# with them so that every size from 1M up runs at the same utilization
# (about 0.22; a pool keeps at least one server, so 10k and 100k run at
# 0.002 and 0.02; an evaluator sized for 1M connections would be 22 times
# overloaded at 100M, a different workload), on one thread (THREADS to
# change), on each engine asked (ENGINES, default the fast one). Prints
# one Markdown table row per run. Evaluations per second is the honest unit
# on the fast engine, where quiet polls of unmanaged tenants cost nothing;
# requests per second is given too. A run shorter than a second is
# repeated (RUNS times, default 9) and its fastest kept, as hyperfine's
# minimum: a 10 ms run on this virtualised machine moves by ±20 % from one
# run to the next, which says nothing of the build. Usage:
#   cargo build --release && bash benches/scaling.sh [SIZES...]
#   ENGINES="fast per-connection" THREADS="1 2" bash benches/scaling.sh 1000000
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/mailsim
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sizes=("${@:-10000 100000 1000000 10000000 100000000}")
engines=${ENGINES:-fast}
threads=${THREADS:-1}
echo "| connections | engine | threads | evaluations | requests | runs | wall s (fastest) | M evaluations/s | ns/evaluation | M requests/s | peak RSS MB | bytes/connection |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
for n in ${sizes[@]}; do
  big=$(python3 -c "print(max(1, round(18000 * $n / 1020000)))")
  small=$(python3 -c "print(max(1, round(2000 * $n / 1020000)))")
  servers=$(python3 -c "print(max(1, round(2 * $n / 1020000)))")
  sed -e "s/^count = 18000 /count = $big /" -e "s/^count = 2000 /count = $small /" \
      -e "s/^servers = 2 /servers = $servers /" \
      -e 's/^horizon = "1d"/horizon = "6h"/' scenarios/scale.toml > "$tmp/scale_$n.toml"
  for e in $engines; do
    for t in $threads; do
      walls=() rss_kb=0
      for ((r = 0; r < ${RUNS:-9}; r++)); do
        /usr/bin/time -v "$bin" run "$tmp/scale_$n.toml" --out "$tmp/out" --threads "$t" --engine "$e" --quiet --force 2> "$tmp/time"
        rss_kb=$(grep "Maximum resident" "$tmp/time" | awk -v m="$rss_kb" '{print ($NF > m ? $NF : m)}')
        wall=$(python3 -c "import json; print(json.load(open('$tmp/out/run.json'))['wall_s'])")
        walls+=("$wall")
        python3 -c "import sys; sys.exit(0 if float('$wall') < 1 else 1)" || break
      done
      python3 - "$tmp/out/run.json" "$rss_kb" "$t" "$e" "${walls[@]}" <<'PY'
import json, sys
run = json.load(open(sys.argv[1])); rss = int(sys.argv[2]) * 1024; t = sys.argv[3]; e = sys.argv[4]
summary = {l.split(",")[1]: l.split(",")[2] for l in open(sys.argv[1].replace("run.json", "summary.csv")) if l.startswith("all,")}
conns = int(summary["connections_initial"]); evals = int(summary["evaluations"])
wall = min(float(w) for w in sys.argv[5:])  # the fastest of the runs; every run simulates the same
print(f"| {conns:,} | {e} | {t} | {evals:,} | {run['requests']:,} | {len(sys.argv) - 5} | {wall:.4f} | {evals/wall/1e6:.2f} | {1e9*wall/evals:.0f} | {run['requests']/wall/1e6:.2f} | {rss/2**20:.0f} | {rss/conns:.1f} |")
PY
    done
  done
done
