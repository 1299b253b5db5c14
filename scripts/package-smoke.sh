#!/usr/bin/env bash
# Runs what the Dockerfile's runtime stage runs, outside Docker: a production-only install of the
# built package in a clean directory, then the broker starts and answers its health check.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'kill "${pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
cp -r "$root/package.json" "$root/package-lock.json" "$root/dist" "$root/proto" "$work/"
(cd "$work" && npm ci --omit=dev --no-audit --no-fund --loglevel=error >/dev/null)
node "$work/dist/vela.mjs" --port 0 --http-port 0 --data-dir "$work/data" >"$work/out.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  if line="$(grep -m1 '^vela ready' "$work/out.log")"; then break; fi
  sleep 0.1
done
[[ -n "${line:-}" ]] || { echo "broker did not become ready"; cat "$work/out.log"; exit 1; }
http="$(sed -E 's/.*(http:\/\/[^ ]+).*/\1/' <<<"$line")"
health="$(curl -fsS "$http/admin/v2/brokers/health")"
[[ "$health" == "ok" ]] || { echo "health check answered '$health'"; exit 1; }
kill -TERM "$pid"
wait "$pid"
echo "package smoke test passed: $line"
