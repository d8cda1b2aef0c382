#!/usr/bin/env bash
# The load generator's sustained open-loop rate against `mailsim serve
# --service-time "fixed 0"` on loopback, beside the closed-loop maximum that
# oha (`cargo install oha`) reaches against the same server in the same run.
#
#   bash benches/load.sh                       # rates 20k..140k/s, 10 s each
#   RATES="50000 100000" DURATION=20s bash benches/load.sh
#
# A rate is sustained when the send lag's p99 stays under 1 ms and nothing
# is dropped. The schedule is tests/data/load_steady.toml (2,100 connections
# polling, 2.33 requests per simulated second, its horizon made 30 days) at
# --speedup rate ÷ 2.33,
# with the prediction's pool made large and fast (64 servers of 1 µs) so
# that the model's side costs little. Generator and server share the machine's two cores; see
# docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
SERVERS=${SERVERS:-4}
IO_THREADS=${IO_THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
DURATION=${DURATION:-10s}
RATES=${RATES:-"20000 40000 60000 80000 100000 120000 140000"}
OHA=${OHA:-$(command -v oha || echo "$HOME/.cargo/bin/oha")}
[ -x "$OHA" ] || { echo "needs oha: cargo install oha" >&2; exit 1; }

cargo build --release --quiet
tmp=$(mktemp -d)
target/release/mailsim serve --listen 127.0.0.1:0 --servers "$SERVERS" --io-threads "$IO_THREADS" \
    --service-time "fixed 0" >"$tmp/serve.out" 2>"$tmp/serve.err" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do grep -q '^listening on ' "$tmp/serve.err" && break; sleep 0.05; done
addr=$(sed -n 's/^listening on //p' "$tmp/serve.err")
url="http://$addr"
echo "server: mailsim serve --servers $SERVERS --io-threads $IO_THREADS --service-time \"fixed 0\" ($url)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

body='{"tenant":17,"device":42,"app":"third_party","kind":"poll"}'
curl -s -XPUT "$url/v1/tenants/17/policy" -d '{"policy":"any_app_prompt_always"}' >/dev/null
"$OHA" -z "$DURATION" -c "$CONNECTIONS" --no-tui -m POST -d "$body" "$url/v1/evaluate" >"$tmp/oha"
oha_rps=$(awk '/Requests\/sec/ { print $2 }' "$tmp/oha")
echo "oha closed loop, $CONNECTIONS connections, $DURATION: $oha_rps requests/s"

printf '%10s %10s %12s %12s %14s %10s %8s %8s\n' rate sent/s "lag p99 ms" "own lag p99" "latency p99 ms" late dropped errors
for rate in $RATES; do
    speedup=$(awk -v r="$rate" 'BEGIN { printf "%.1f", r / (2100 / 900) }')
    target/release/mailsim load tests/data/load_steady.toml --target "$url" --speedup "$speedup" \
        --duration "$DURATION" --connections "$CONNECTIONS" --threads "$THREADS" --id-run 1 --quiet --out "$tmp/load" \
        --set evaluator.service_time.value=1us --set evaluator.servers=64 --set horizon=30d --set bucket=1h
    row=$(awk -F, '$1 == "all"' "$tmp/load/load.csv")
    own=$(python3 -c "import json; print(json.load(open('$tmp/load/run.json'))['load']['dispatch_lag_p99_ms'])")
    sent=$(python3 -c "import json; print(round(json.load(open('$tmp/load/run.json'))['load']['sent_per_s']))")
    echo "$row" | awk -F, -v rate="$rate" -v own="$own" -v sent="$sent" \
        '{ printf "%10d %10d %12s %12s %14s %10d %8d %8d\n", rate, sent, $17, own, $14, $10, $9, $5 + $6 + $7 + $8 }'
done
kill -TERM "$pid"
wait "$pid" || true
