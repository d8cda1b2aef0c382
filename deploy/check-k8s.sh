#!/usr/bin/env bash
# Validates deploy/k8s-*.yaml against the Kubernetes schemas, offline: no
# cluster is needed (kubectl cannot: even `apply --dry-run=client
# --validate=false` asks an API server what a Job is). kubernetes-validate,
# from PyPI, carries the JSON schemas of Kubernetes 1.25 to 1.37; --strict
# also rejects fields that the schema does not know (a misspelt key).
#   bash deploy/check-k8s.sh
# It installs kubernetes-validate into a temporary virtualenv when the
# command is not on PATH. That the shard number comes from
# JOB_COMPLETION_INDEX and the count from `completions` is tests/deploy.rs.
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v kubernetes-validate >/dev/null; then
  kv=kubernetes-validate
else
  venv=$(mktemp -d)
  trap 'rm -rf "$venv"' EXIT
  echo "check-k8s: installing kubernetes-validate into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check kubernetes-validate==1.37.0
  kv=$venv/bin/kubernetes-validate
fi
# The oldest and the newest Kubernetes the package knows: Indexed Jobs and
# JOB_COMPLETION_INDEX are stable since 1.24.
for version in 1.25.0 1.37.0; do
  "$kv" --strict --kubernetes-version "$version" deploy/k8s-*.yaml
done
echo "check-k8s: deploy/k8s-*.yaml are valid Jobs for Kubernetes 1.25 and 1.37"
