#!/usr/bin/env bash
# Run a scenario as N shards with GNU parallel, then merge them.
#   deploy/parallel.sh SCENARIO N OUT_DIR [parallel options, e.g. --sshloginfile hosts]
# Without options the shards run on this machine, all at once. With
# --sshloginfile each host needs the mailsim binary on its PATH and the
# same working directory (a shared file system): the shards read the
# scenario and write their folders there.
set -euo pipefail
scenario=$1 n=$2 out=$3
shift 3
mkdir -p "$out.shards"
seq 0 $((n - 1)) | parallel --halt now,fail=1 "$@" \
  mailsim run "$scenario" --shard {}/"$n" --out "$out.shards/{}" --quiet
mailsim merge "$out" "$out.shards"/*
