#!/usr/bin/env bash
# Build the PyInstaller spec and prove the built app starts and exits cleanly.
#
#   bash tests/build_check.sh [PYTHON]        (default: python3 of the venv in use)
#
# Builds into a temp dir (never the repo's dist/), starts dist/mt5tray/mt5tray
# offscreen on the simulated terminal with a throwaway MT5TRAY_HOME, waits for
# the ready marker the app writes once its tray is up, sends SIGTERM and
# requires exit status 0. Needs Debian's binutils (objdump) for PyInstaller.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${1:-${PYTHON:-python3}}"
work="$(mktemp -d)"
app=""
cleanup() { if [ -n "$app" ]; then kill "$app" 2>/dev/null || true; fi; rm -rf "$work"; }
trap cleanup EXIT

echo "build_check: building build.spec into $work"
"$PYTHON" -m PyInstaller build.spec --noconfirm --log-level WARN \
  --distpath "$work/dist" --workpath "$work/build"
exe="$work/dist/mt5tray/mt5tray"
[ -x "$exe" ] || { echo "build_check: no executable at $exe" >&2; exit 1; }

export QT_QPA_PLATFORM=offscreen MT5TRAY_HOME="$work/home" MT5TRAY_READY_FILE="$work/ready.json"
export MT5TRAY_STARTUP_DELAY_S=0.2
"$exe" tray --simulate &
app=$!
for _ in $(seq 1 300); do
  [ -s "$MT5TRAY_READY_FILE" ] && break
  kill -0 "$app" 2>/dev/null || { wait "$app" || true; echo "build_check: the app exited early" >&2; exit 1; }
  sleep 0.1
done
[ -s "$MT5TRAY_READY_FILE" ] || { echo "build_check: the app never became ready" >&2; exit 1; }
sleep 2  # let the start-up sync run inside the bundle
kill -TERM "$app"
status=0; wait "$app" || status=$?
app=""
if [ "$status" -ne 0 ]; then
  echo "build_check: the built app exited with $status" >&2
  tail -20 "$MT5TRAY_HOME/logs/mt5tray.log" >&2 || true
  exit 1
fi
grep -q "mt5tray stopped" "$MT5TRAY_HOME/logs/mt5tray.log"
# The start-up line: what the frozen build carries (version, MetaTrader5, keyring, store).
grep -E "mt5tray [0-9][^ ]* \(frozen app, [a-z0-9]+\): MetaTrader5 .*; keyring .*; store " \
  "$MT5TRAY_HOME/logs/mt5tray.log" || { echo "build_check: no start-up line in the log" >&2; exit 1; }
if grep -E "ERROR|Traceback" "$MT5TRAY_HOME/logs/mt5tray.log"; then
  echo "build_check: errors in the built app's log" >&2; exit 1
fi
echo "build_check: OK (built, started offscreen, synced, exited 0)"
