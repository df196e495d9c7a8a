#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests when it is missing (needs root, as on CI).
set -uo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" != "0" ] && ! command -v sudo >/dev/null 2>&1; then
  echo "chromium is missing and this user cannot install it: browser tests will be skipped." >&2
  exit 0
fi
SUDO=""; [ "$(id -u)" != "0" ] && SUDO="sudo -n"
echo "Installing Debian's chromium for the browser tests..."
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null && \
  $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null \
  || echo "Could not install chromium: browser tests will be skipped." >&2
exit 0
