#!/usr/bin/env bash
# Shared set-up for scripts/demo.sh and scripts/test.sh: system packages, then the virtualenv.
# Idempotent and quiet when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/lib.sh

# libmagic for content sniffing; python3-venv to build the virtualenv.
apt_install libmagic1 python3-venv

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)-${1:-app}
if [ ! -f "$stamp" ]; then
  echo "==> pip install"
  .venv/bin/pip install -q --upgrade pip
  if [ "${1:-app}" = test ]; then
    # The tests run both rankers of suggested units, so they install the optional sentence
    # model too (PyTorch's CPU build: on these machines pip takes torch 2.13.0 from local disk).
    .venv/bin/pip install -q -e ".[test,semantic]"
  else
    .venv/bin/pip install -q -e .
  fi
  rm -f .venv/.installed-*-"${1:-app}"
  touch "$stamp"
fi
