#!/usr/bin/env bash
# Creates .venv and installs the complete pinned lock (no resolver, no downloads beyond the registry).
set -euo pipefail
cd "$(dirname "$0")/.."

python_bin=""
for candidate in python3.11 python3; do
  if command -v "$candidate" >/dev/null 2>&1 && \
     "$candidate" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)'; then
    python_bin=$(command -v "$candidate"); break
  fi
done
if [ -z "$python_bin" ]; then
  echo "Python 3.11 is required (rasa 3.6 and the pinned lock are built for it)." >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  echo "Creating .venv with $python_bin"
  "$python_bin" -m venv .venv
fi
echo "Installing pinned dependencies from requirements/lock.txt (first time: about 2 minutes)..."
# (The filter hides this machine kind's notices about absent local mirror folders.)
.venv/bin/python -m pip install --quiet --disable-pip-version-check \
  --no-deps --ignore-requires-python -r requirements/lock.txt \
  2> >(grep -v '^WARNING: Location .* is ignored' >&2)
rm -f .venv/.lock-*
touch ".venv/.lock-$(sha256sum requirements/lock.txt | cut -c1-16)"
echo "Dependencies installed."
