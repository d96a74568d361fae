#!/usr/bin/env bash
# bench/c1z-ingest: a stand-in for a baton connector. syncplane runs it as it runs any one-shot
# baton connector (`<command> <args…> --file <run dir>/sync.c1z`); it copies the prepared c1z
# named by $REPLAY_C1Z (set through the connector's config.env) to that path and exits 0, so
# what the benchmark times is syncplane's side: starting the run, reading the file, storing the
# inventory, applying the sync.
set -euo pipefail

out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --file)
      out="${2:-}"
      shift 2 || shift
      ;;
    --file=*)
      out="${1#--file=}"
      shift
      ;;
    *) shift ;;
  esac
done

if [ -z "$out" ]; then
  echo '{"level":"error","msg":"replay-connector: no --file argument"}' >&2
  exit 3
fi
if [ -z "${REPLAY_C1Z:-}" ] || [ ! -f "$REPLAY_C1Z" ]; then
  echo "{\"level\":\"error\",\"msg\":\"replay-connector: REPLAY_C1Z is not a file: ${REPLAY_C1Z:-}\"}" >&2
  exit 3
fi
cp -- "$REPLAY_C1Z" "$out"
echo "{\"level\":\"info\",\"msg\":\"replay-connector: copied ${REPLAY_C1Z} to ${out}\"}"
