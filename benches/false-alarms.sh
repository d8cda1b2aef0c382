#!/usr/bin/env bash
# The false-alarm rate of `mailsim compare`: run one scenario at several
# seeds, compare consecutive seed pairs (no real change between them), and
# count the pairs that exit 3 (a "regression") and the metrics marked worse.
#   bash benches/false-alarms.sh [SCENARIO] [PAIRS] [REPLICATIONS] [COMPARE_BINARY]
# The runs use target/release/mailsim; COMPARE_BINARY (default the same)
# judges them, so two builds' compare can be measured on the same runs.
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=${1:-scenarios/quickstart.toml} pairs=${2:-10} reps=${3:-1}
bin=target/release/mailsim judge=${4:-target/release/mailsim}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for s in $(seq 1 $((pairs + 1))); do
  "$bin" run "$scenario" --seed "$s" --replications "$reps" --out "$tmp/s$s" --quiet
done
alarms=0 worse=0
for s in $(seq 1 "$pairs"); do
  code=0
  # A copy of the new run to write compare.csv into (older builds need the folder to exist).
  cp -r "$tmp/s$((s + 1))" "$tmp/c$s"
  "$judge" compare "$tmp/s$s" "$tmp/s$((s + 1))" --out "$tmp/c$s" -q >/dev/null 2>&1 || code=$?
  [ "$code" = 3 ] && alarms=$((alarms + 1))
  w=$(grep -c ',worse' "$tmp/c$s/compare.csv" || true)
  worse=$((worse + w))
done
echo "$(basename "$scenario") x$reps replications: $alarms of $pairs seed pairs flagged a regression ($worse metrics marked worse in all)"
