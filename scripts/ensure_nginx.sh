#!/usr/bin/env bash
# Installs Debian's nginx for `make cluster-test` (the reverse proxy in front of the API replicas)
# when it is missing. Needs root, as on CI. Only the binary is used: the test writes its own
# configuration and runs nginx in the foreground as the current user, on loopback.
set -uo pipefail
if [ -x /usr/sbin/nginx ]; then exit 0; fi
if [ "$(id -u)" != "0" ] && ! command -v sudo >/dev/null 2>&1; then
  echo "nginx is missing and this user cannot install it (apt-get install nginx-light)." >&2
  exit 1
fi
SUDO=""; [ "$(id -u)" != "0" ] && SUDO="sudo -n"
echo "Installing Debian's nginx for the cluster test..."
export DEBIAN_FRONTEND=noninteractive
# policy-rc.d 101: the package must not start a system nginx on port 80.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
$SUDO apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null && \
  $SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends nginx-light >/dev/null \
  || $SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends nginx >/dev/null
if [ ! -x /usr/sbin/nginx ]; then
  echo "Could not install nginx." >&2
  exit 1
fi
