#!/usr/bin/env bash
# Decisions per second of `mailsim serve` on loopback, measured with oha
# (`cargo install oha`) on the same machine.
#
#   bash benches/serve.sh                      # 8 workers, 2 I/O threads, 64 connections, 10 s
#   SERVERS=4 IO_THREADS=1 DURATION=20s bash benches/serve.sh
#
# The service runs with --service-time "fixed 0", so every request costs
# only HTTP, the handoff to a worker thread and back, and the rules. The
# figure is decisions counted by the server (mailsim_decisions_total)
# over the run, beside oha's own requests/s. Client and server share the
# machine's cores, so this measures the pair; see docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
SERVERS=${SERVERS:-8}
IO_THREADS=${IO_THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
DURATION=${DURATION:-10s}
OHA=${OHA:-$(command -v oha || echo "$HOME/.cargo/bin/oha")}
[ -x "$OHA" ] || { echo "needs oha: cargo install oha" >&2; exit 1; }

cargo build --release --quiet
log=$(mktemp)
target/release/mailsim serve --listen 127.0.0.1:0 --servers "$SERVERS" --io-threads "$IO_THREADS" \
    --service-time "fixed 0" >"$log.out" 2>"$log" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -f "$log" "$log.out"' EXIT
for _ in $(seq 100); do grep -q '^listening on ' "$log" && break; sleep 0.05; done
addr=$(sed -n 's/^listening on //p' "$log")
url="http://$addr"

decisions() {
    curl -s "$url/metrics" | awk '/^mailsim_decisions_total/ { n += $2 } END { printf "%d", n }'
}
curl -s -XPUT "$url/v1/tenants/17/policy" -d '{"policy":"any_app_prompt_always"}' >/dev/null
body='{"tenant":17,"device":42,"app":"third_party","kind":"poll"}'
cmd=("$OHA" -z "$DURATION" -c "$CONNECTIONS" --no-tui -m POST -d "$body" "$url/v1/evaluate")
echo "server: mailsim serve --servers $SERVERS --io-threads $IO_THREADS --service-time \"fixed 0\""
echo "client: oha -z $DURATION -c $CONNECTIONS --no-tui -m POST -d '$body' $url/v1/evaluate"
before=$(decisions)
t0=$(date +%s.%N)
"${cmd[@]}" >"$log.oha"
t1=$(date +%s.%N)
after=$(decisions)
grep -E 'Success rate|Requests/sec|Average|Slowest' "$log.oha" | sed 's/^/  oha  /'
grep -E '^\s+(50|99)\.00% in' "$log.oha" | sed 's/^/  oha p/'
awk -v n=$((after - before)) -v a="$t0" -v b="$t1" \
    'BEGIN { printf "decisions/s (server count over the run): %.0f\n", n / (b - a) }'
rm -f "$log.oha"
kill -TERM "$pid"
wait "$pid" || true
cat "$log.out"
