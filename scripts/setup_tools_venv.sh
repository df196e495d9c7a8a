#!/usr/bin/env bash
# Creates .venv-tools from requirements/tools-lock.txt (test tools kept apart from rasa's pins).
# With --relock, regenerates the lock from requirements/tools.txt first.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--relock" ]; then
  workdir=$(mktemp -d)
  python3.11 -m venv "$workdir/venv"
  "$workdir/venv/bin/pip" install --quiet -r requirements/tools.txt
  {
    echo "# Test tools kept apart from rasa's pins (generated from requirements/tools.txt by scripts/setup_tools_venv.sh --relock)."
    "$workdir/venv/bin/pip" freeze --all | grep -v '^pip==' | sort -f
  } > requirements/tools-lock.txt
  rm -rf "$workdir"
fi
if [ ! -x .venv-tools/bin/python ]; then
  python3.11 -m venv .venv-tools
fi
echo "Installing test tools from requirements/tools-lock.txt..."
.venv-tools/bin/python -m pip install --quiet --disable-pip-version-check --no-deps \
  -r requirements/tools-lock.txt 2> >(grep -v '^WARNING: Location .* is ignored' >&2)
rm -f .venv-tools/.lock-*
touch ".venv-tools/.lock-$(sha256sum requirements/tools-lock.txt | cut -c1-16)"
echo "Test tools installed."
