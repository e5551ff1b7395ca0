#!/usr/bin/env bash
# Install everything the tests need on a fresh Debian machine and run them all.
#
#   bash tests/run.sh [pytest args...]
#
# 1. Debian packages (as root): PostgreSQL 15, Xvfb + a tray host (trayer),
#    Qt's runtime libraries, gnome-keyring (a real Secret Service keyring),
#    binutils for PyInstaller, Chromium and its driver for the dashboard's
#    browser test. Skipped when already installed.
# 2. A virtualenv (.venv, or $MT5TRAY_VENV) with the project and its test extra.
# 3. The PyInstaller build check (tests/build_check.sh): build, start, quit.
# 4. pytest inside a private D-Bus session with an unlocked gnome-keyring, so
#    the keyring tests use a real backend. PostgreSQL, Xvfb and the tray host
#    are started by the test fixtures themselves, on free ports/displays.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  postgresql-15 postgresql-contrib
  xvfb trayer x11-utils imagemagick xdotool
  libglib2.0-0 libgl1 libegl1 libxkbcommon0 libfontconfig1 libdbus-1-3
  libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0
  libxcb-xkb1 libxcb-render-util0 libxcb-image0 libxcb-randr0
  gnome-keyring dbus-x11 libsecret-tools
  binutils
  chromium chromium-driver
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

VENV="${MT5TRAY_VENV:-.venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --upgrade pip
"$VENV/bin/pip" install -q -e ".[test,build]"

export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
export MT5TRAY_TEST_ARTIFACTS="${MT5TRAY_TEST_ARTIFACTS:-$PWD/test-artifacts}"
mkdir -p "$MT5TRAY_TEST_ARTIFACTS"

# The packaged app: build build.spec and start the result (skip with
# MT5TRAY_SKIP_BUILD_CHECK=1 for a quick local run). First, so that pytest's
# summary stays the last line.
if [ "${MT5TRAY_SKIP_BUILD_CHECK:-0}" != 1 ]; then
  bash tests/build_check.sh "$VENV/bin/python"
fi

exec dbus-run-session -- bash -c '
  echo -n "mt5tray-test-keyring" | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
  exec "$0/bin/python" -m pytest "$@"
' "$VENV" "$@"
