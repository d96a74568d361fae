#!/usr/bin/env bash
# Builds the interop test programs into test/interop/bin/:
#   baton-demo       the REAL baton-demo connector (commit 6090134, baton-sdk v0.2.51), installed
#                    with `go install` through ../shared/goproxy when that folder exists (the Go
#                    module proxy here refuses github.com/conductorone/*);
#   c1-go-sdk        test/interop/go-sdk: drives syncplane with the official C1 Go SDK
#                    (conductorone-sdk-go v1.27.1, unmodified);
#   fake-baton-demo  a FAKE baton-demo for the faults the real one cannot produce (exit codes,
#                    Pebble output, slow runs); test/interop/README.md.
# Needs Go (>= the version in the go.mod files) and the Go module proxy; versions are pinned by
# the go.sum files and the pseudo-version below.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$root/test/interop/bin"
baton_demo_version="v0.0.8-0.20250121180707-6090134add2d"

if ! command -v go >/dev/null 2>&1; then
  echo "build-interop: go is not installed (needed to build the interop programs in test/interop/bin)" >&2
  exit 1
fi

# The file-based proxy of ../shared/goproxy serves the two conductorone modules; every other module
# still comes from the ordinary proxy. The checksum database does not answer for those two paths.
shared_goproxy=$(cd "$root/../shared/goproxy" 2>/dev/null && pwd || true)
if [ -n "$shared_goproxy" ]; then
  export GOPROXY="file://$shared_goproxy,$(go env GOPROXY)"
  export GONOSUMDB=github.com/conductorone/baton-demo,github.com/conductorone/conductorone-sdk-go
fi
export GOTOOLCHAIN=local

mkdir -p "$bin"
step() {
  local name="$1"
  shift
  local start end
  start=$(date +%s)
  "$@"
  end=$(date +%s)
  echo "build-interop: built test/interop/bin/$name in $((end - start))s ($(go version | awk '{print $3}'))"
}

cd "$root/test/interop"
step fake-baton-demo env GOFLAGS="-mod=readonly -buildvcs=false" go build -o "$bin/fake-baton-demo" ./fake-baton-demo

cd "$root/test/interop/go-sdk"
step c1-go-sdk env GOFLAGS="-mod=readonly -buildvcs=false" go build -o "$bin/c1-go-sdk" .

cd "$root/test/interop"
step baton-demo env GOBIN="$bin" CGO_ENABLED=0 \
  go install "github.com/conductorone/baton-demo/cmd/baton-demo@$baton_demo_version"
