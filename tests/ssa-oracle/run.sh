#!/usr/bin/env bash
# Builds and runs the oracle offline against Debian's golang-k8s-sigs-structured-merge-diff-dev. Debian installs
# the library without its /v4 major-version folder, so a private GOPATH links it under its import path.
# Usage: tests/ssa-oracle/run.sh < ops.json
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
smd=/usr/share/gocode/src/sigs.k8s.io/structured-merge-diff
[ -d "$smd" ] || { echo "ssa-oracle: $smd missing (apt-get install golang-k8s-sigs-structured-merge-diff-dev)" >&2; exit 2; }
work="${SSA_ORACLE_WORK:-${TMPDIR:-/tmp}/ssa-oracle-$(id -u)}"
mkdir -p "$work/gopath/src/sigs.k8s.io/structured-merge-diff" "$work/cache"
ln -sfn "$smd" "$work/gopath/src/sigs.k8s.io/structured-merge-diff/v4"
bin="$work/ssa-oracle"
if [ ! -x "$bin" ] || [ "$here/main.go" -nt "$bin" ]; then
  (cd "$here" && GO111MODULE=off GOPATH="$work/gopath:/usr/share/gocode" GOCACHE="$work/cache" go build -o "$bin.tmp" main.go && mv "$bin.tmp" "$bin")
fi
exec "$bin"
