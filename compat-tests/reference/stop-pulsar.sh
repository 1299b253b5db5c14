#!/usr/bin/env bash
# Stop the Pulsar standalone started by start-pulsar.sh.
#
# Usage: stop-pulsar.sh [--run-dir DIR] [--wipe] [--timeout S]
#   --run-dir DIR   same run dir as given to start-pulsar.sh
#                   (env PULSAR_RUN_DIR, default .cache/run)
#   --wipe          also delete the run dir's data and logs
#   --timeout S     seconds to wait after SIGTERM before SIGKILL (default 60)
# Only the pid in DIR/pulsar.pid is signalled, and only if that process is the
# JVM that start-pulsar.sh launched for DIR (-Dvela.pulsar.rundir=DIR).
set -euo pipefail

REF_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUN_DIR="${PULSAR_RUN_DIR:-$REF_DIR/.cache/run}"
WIPE=0
TIMEOUT=60
while [[ $# -gt 0 ]]; do
  case "$1" in
    --run-dir|--data-dir) RUN_DIR="${2:?}"; shift 2 ;;
    --wipe) WIPE=1; shift ;;
    --timeout) TIMEOUT="${2:?}"; shift 2 ;;
    -h|--help) sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "stop-pulsar: unknown argument: $1" >&2; exit 2 ;;
  esac
done

if [[ -d "$RUN_DIR" ]]; then RUN_DIR="$(cd "$RUN_DIR" && pwd)"; fi
PID_FILE="$RUN_DIR/pulsar.pid"
if [[ ! -f "$PID_FILE" ]]; then
  echo "stop-pulsar: not running (no $PID_FILE)"
else
  PID="$(cat "$PID_FILE")"
  if kill -0 "$PID" 2>/dev/null \
     && tr '\0' ' ' <"/proc/$PID/cmdline" 2>/dev/null \
        | grep -qF -- "-Dvela.pulsar.rundir=$RUN_DIR "; then
    kill -TERM "$PID"
    for _ in $(seq 1 "$TIMEOUT"); do
      kill -0 "$PID" 2>/dev/null || break
      sleep 1
    done
    if kill -0 "$PID" 2>/dev/null; then
      echo "stop-pulsar: pid $PID still alive after ${TIMEOUT}s, sending SIGKILL" >&2
      kill -KILL "$PID" 2>/dev/null || true
      sleep 1
    fi
    echo "stop-pulsar: stopped pid $PID"
  else
    echo "stop-pulsar: pid $PID is not a running Pulsar standalone; removing stale pid file"
  fi
  rm -f "$PID_FILE"
fi

if [[ "$WIPE" == 1 && -f "$RUN_DIR/.vela-pulsar-run" ]]; then
  rm -rf "$RUN_DIR/data" "$RUN_DIR/logs"
  echo "stop-pulsar: wiped $RUN_DIR/data and $RUN_DIR/logs"
fi
