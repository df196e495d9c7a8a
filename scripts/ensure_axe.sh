#!/usr/bin/env bash
# Installs axe-core (the accessibility engine of the browser tests) from the npm registry when it
# is missing, at the version pinned by tests/browser/axe/package-lock.json. Like ensure_chromium.sh
# it never fails the build: without it the accessibility checks are skipped with the reason.
set -uo pipefail
DIR="$(cd "$(dirname "$0")/.." && pwd)/tests/browser/axe"
if [ -f "$DIR/node_modules/axe-core/axe.min.js" ]; then exit 0; fi
if ! command -v npm >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" != "0" ] && SUDO="sudo -n"
  if [ "$(id -u)" = "0" ] || command -v sudo >/dev/null 2>&1; then
    echo "Installing Debian's npm for the accessibility checks..."
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq >/dev/null && $SUDO apt-get install -y -qq --no-install-recommends npm >/dev/null \
      || echo "Could not install npm: accessibility checks will be skipped." >&2
  fi
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "npm is missing: accessibility checks will be skipped." >&2
  exit 0
fi
echo "Installing axe-core for the accessibility checks..."
(cd "$DIR" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) \
  || echo "Could not install axe-core: accessibility checks will be skipped." >&2
exit 0
