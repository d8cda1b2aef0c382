#!/usr/bin/env bash
# The cost-per-request curve and peak memory of scenarios/scale.toml scaled
# to 10k, 100k, 1M and 10M connections (6 simulated hours each), on 1 and 2
# threads. Prints one Markdown table row per run. Usage:
#   cargo build --release && bash benches/scaling.sh [SIZES...]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/mailsim
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sizes=("${@:-10000 100000 1000000 10000000}")
echo "| connections | threads | requests | wall s | M requests/s | ns/request | peak RSS MB | bytes/connection |"
echo "|---|---|---|---|---|---|---|---|"
for n in ${sizes[@]}; do
  big=$(python3 -c "print(max(1, round(18000 * $n / 1020000)))")
  small=$(python3 -c "print(max(1, round(2000 * $n / 1020000)))")
  sed -e "s/^count = 18000 /count = $big /" -e "s/^count = 2000 /count = $small /" \
      -e 's/^horizon = "1d"/horizon = "6h"/' scenarios/scale.toml > "$tmp/scale_$n.toml"
  for t in 1 2; do
    /usr/bin/time -v "$bin" run "$tmp/scale_$n.toml" --out "$tmp/out" --threads "$t" --quiet 2> "$tmp/time"
    rss_kb=$(grep "Maximum resident" "$tmp/time" | awk '{print $NF}')
    python3 - "$tmp/out/run.json" "$rss_kb" "$t" <<'PY'
import json, sys
run = json.load(open(sys.argv[1])); rss = int(sys.argv[2]) * 1024; t = sys.argv[3]
conns = next(int(l.split(",")[2]) for l in open(sys.argv[1].replace("run.json", "summary.csv")) if l.startswith("all,connections_initial,"))
print(f"| {conns:,} | {t} | {run['requests']:,} | {run['wall_s']:.2f} | {run['requests_per_s']/1e6:.2f} | {1e9*run['wall_s']/run['requests']:.0f} | {rss/2**20:.0f} | {rss/conns:.0f} |")
PY
  done
done
