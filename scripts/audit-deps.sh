#!/usr/bin/env bash
# Dependency audit: every installed package of the project's virtualenv checked against the
# Python Packaging Advisory Database (through PyPI's JSON API) with pip-audit. Run it where that
# database can be reached (a developer laptop, a release pipeline); a package it flags gets a
# pin (`pkg>=fixed`) in pyproject.toml. It exits non-zero on any known vulnerability, and also
# when a package could not be audited (--strict), so an unreachable database is never a pass.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
exec .venv/bin/pip-audit --strict --progress-spinner off --local "$@"
