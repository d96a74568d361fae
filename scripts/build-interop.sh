#!/usr/bin/env bash
# Builds the interop test programs into test/interop/bin/:
#   fake-baton-demo: a FAKE standing in for the baton-demo connector (see
#   test/interop/README.md for why and for what it reproduces).
# Needs Go (>= the version in test/interop/go.mod) and the Go module proxy;
# dependencies are pinned by test/interop/go.sum.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root/test/interop"

if ! command -v go >/dev/null 2>&1; then
  echo "build-interop: go is not installed (needed to build test/interop/bin/fake-baton-demo)" >&2
  exit 1
fi

mkdir -p bin
start=$(date +%s)
GOTOOLCHAIN=local GOFLAGS="-mod=readonly -buildvcs=false" go build -o bin/fake-baton-demo ./fake-baton-demo
end=$(date +%s)
echo "build-interop: built test/interop/bin/fake-baton-demo in $((end - start))s ($(go version | awk '{print $3}'))"
