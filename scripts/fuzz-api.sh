#!/usr/bin/env bash
# Fuzzes syncplane's HTTP API with schemathesis (PyPI, pinned by test/fuzz/constraints.txt)
# against its own /openapi.json: every check, bounded in time, a fixed seed so a run can be
# replayed. Starts a fresh server on an embedded store and a loopback port, authenticates as the
# admin, and fails on any failure schemathesis reports. Which schema-valid refusals are allowed,
# and why, is in test/fuzz/hooks.py.
#
#   FUZZ_SECONDS  time budget of the run (default 180)
#   FUZZ_SEED     hypothesis seed (default 20261201; set another to explore)
#
# Python tooling lives in a virtualenv under the temp dir; reports go to test-results/fuzz/.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${FUZZ_SECONDS:-180}"
seed="${FUZZ_SEED:-20261201}"
version="$(sed -n 's/^schemathesis==//p' "$root/test/fuzz/constraints.txt")"
venv="${TMPDIR:-/tmp}/syncplane-schemathesis-$version"
reports="$root/test-results/fuzz"

if [ ! -x "$venv/bin/st" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    -c "$root/test/fuzz/constraints.txt" "schemathesis==$version"
fi

data="$(mktemp -d "${TMPDIR:-/tmp}/syncplane-fuzz-XXXXXX")"
log="$data/server.log"
# No worker role: the fuzzer creates webhooks to made-up hosts, and a worker would try to deliver
# to them (network tests talk to loopback only); the API and the scheduler are what it checks.
node "$root/bin/syncplane.mjs" serve --data-dir "$data/data" --listen 127.0.0.1:0 \
  --roles api,scheduler --log-level info >"$log" 2>&1 &
server=$!
cleanup() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT

url=""
for _ in $(seq 1 300); do
  url="$(sed -n 's/.*"msg":"listening on \([^"]*\)".*/\1/p' "$log" | head -n 1)"
  [ -n "$url" ] && break
  if ! kill -0 "$server" 2>/dev/null; then
    cat "$log" >&2
    echo "fuzz-api: the server exited before listening" >&2
    exit 1
  fi
  sleep 0.1
done
if [ -z "$url" ]; then
  echo "fuzz-api: the server did not log 'listening on' within 30 s" >&2
  exit 1
fi

token="$(node -e '
  const { clientId, clientSecret } = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  fetch(process.argv[2] + "/auth/v1/token", {
    method: "POST",
    body: new URLSearchParams({ grant_type: "client_credentials", client_id: clientId, client_secret: clientSecret }),
  }).then((r) => r.json()).then((j) => process.stdout.write(j.access_token));
' "$data/data/admin-credential.json" "$url")"

echo "fuzz-api: schemathesis $version against $url/openapi.json for ${seconds}s, seed $seed"
mkdir -p "$reports"
status=0
cd "$data"  # schemathesis keeps its .schemathesis/ cache in the working directory
SCHEMATHESIS_HOOKS="$root/test/fuzz/hooks.py" "$venv/bin/st" run "$url/openapi.json" \
  --checks all \
  --max-time "$seconds" \
  --seed "$seed" \
  --workers 1 \
  --request-timeout 30 \
  --header "Authorization: Bearer $token" \
  --report junit,ndjson --report-dir "$reports" \
  --output-truncate true || status=$?

# The server must have stayed healthy: no unexpected error logged while it was fuzzed.
if grep -q '"msg":"unexpected error"' "$log"; then
  echo "fuzz-api: the server logged unexpected errors:" >&2
  grep '"msg":"unexpected error"' "$log" | head -n 20 >&2
  status=1
fi
exit "$status"
