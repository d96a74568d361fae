#!/usr/bin/env bash
# Installs the official ConductorOne Python SDK (pinned) into test/interop/.venv for the interop
# test that drives syncplane with it (test/interop/python-sdk.test.ts). Needs python3 with venv
# and PyPI.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/test/interop/.venv"
version="0.17.2"

start=$(date +%s)
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check \
  -c "$root/test/interop/python-sdk/constraints.txt" "conductorone-sdk==$version"
end=$(date +%s)
echo "setup-python-sdk: conductorone-sdk $version in test/interop/.venv ($((end - start))s)"
