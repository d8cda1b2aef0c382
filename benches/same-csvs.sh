#!/usr/bin/env bash
# Checks that two builds write byte-identical CSVs (and .hgrm files) on every sample scenario
# (and on 2 replications of each small one), the check of a refactor.
#   bash benches/same-csvs.sh OLD_BINARY [NEW_BINARY]   (NEW defaults to target/release/mailsim)
# Both run on the per-connection engine (ENGINE=fast to compare the fast
# engine of two builds): a build that knows `--engine` gets it, one from
# before there were two engines has only that one.
set -euo pipefail
cd "$(dirname "$0")/.."
old=$1 new=${2:-target/release/mailsim}
engine=${ENGINE:-per-connection}
engine_args() { if "$1" run --help | grep -q -- --engine; then echo "--engine $engine"; fi; }
old_args=$(engine_args "$old") new_args=$(engine_args "$new")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
for sc in scenarios/*.toml; do
  stem=$(basename "$sc" .toml)
  for reps in 1 2; do
    [ "$stem" = scale ] && [ "$reps" = 2 ] && continue
    # fleet.toml has 4×10⁸ connections: a benchmark of its own, not a check.
    [ "$stem" = fleet ] && continue
    rm -rf "$tmp/old" "$tmp/new"
    # A scenario the old build cannot read (a key added since) has nothing to compare.
    if ! "$old" validate "$sc" >/dev/null 2>&1; then echo "skip   $stem (the old build cannot read it)"; continue; fi
    # shellcheck disable=SC2086 # the engine arguments are two words or none
    "$old" run "$sc" --out "$tmp/old" --replications "$reps" --quiet $old_args || true
    # shellcheck disable=SC2086
    "$new" run "$sc" --out "$tmp/new" --replications "$reps" --quiet $new_args || true
    n=0 bad=0
    for f in "$tmp"/old/*.csv "$tmp"/old/*.hgrm; do
      n=$((n + 1))
      cmp -s "$f" "$tmp/new/$(basename "$f")" || { bad=$((bad + 1)); echo "  differs: $(basename "$f")"; }
    done
    [ "$(ls "$tmp"/old/*.csv | wc -l)" = "$(ls "$tmp"/new/*.csv | wc -l)" ] || { bad=$((bad + 1)); echo "  different CSV files"; }
    if [ "$bad" = 0 ]; then echo "same   $stem ×$reps ($n CSVs)"; else echo "DIFFER $stem ×$reps"; status=1; fi
  done
done
exit $status
